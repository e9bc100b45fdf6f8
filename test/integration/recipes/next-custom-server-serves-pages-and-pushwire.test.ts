import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNextApp } from '../../../examples/next/server.js';
import type { TransportName } from '../../../src/protocol/frames.js';
import { silentLogger } from '../../../src/server/logger.js';
import { openClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

const dir = fileURLToPath(new URL('../../../examples/next/', import.meta.url));
const NEXT_BIN = fileURLToPath(new URL('../../../node_modules/next/dist/bin/next', import.meta.url));

/** `next build` of the example (about a minute on two busy cores): the custom server runs the production build. */
function buildNextApp(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [NEXT_BIN, 'build', dir],
      { timeout: 240_000, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } },
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`next build failed: ${stderr || error.message}`));
        else resolve();
      },
    );
  });
}

describe('the Next.js custom server recipe (examples/next/server.ts)', () => {
  beforeAll(buildNextApp, 300_000);

  it('serves the Next.js page and Pushwire on one port, on every transport', async () => {
    const app = closeAfterTest(await startNextApp({ dir, dev: false, port: 0, pushwire: { logger: silentLogger } }));
    const base = `http://127.0.0.1:${app.port}`;

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Next.js + Pushwire');
    expect((await fetch(`${base}/no-such-page`)).status).toBe(404); // Next's 404, not Pushwire's

    const transports: TransportName[] = ['websocket', 'sse', 'long-polling'];
    const received: Record<string, unknown[]> = {};
    for (const transport of transports) {
      const client = await openClient(`${base}/pushwire`, { transports: [TRANSPORTS[transport]] });
      const got: unknown[] = (received[transport] = []);
      let subscribed = false;
      client.subscribe('news', { onMessage: (data) => got.push(data), onSubscribed: () => (subscribed = true) });
      await waitFor(() => subscribed, `${transport} subscribed`);
    }
    await app.pushwire.publish('news', { from: 'next' });
    await waitFor(() => transports.every((t) => received[t]!.length === 1), 'every client got the message');
    expect(received).toEqual({ websocket: [{ from: 'next' }], sse: [{ from: 'next' }], 'long-polling': [{ from: 'next' }] });
  }, 120_000);
});
