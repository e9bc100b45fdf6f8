import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createViteServer } from 'vite';
import type { TransportName } from '../../../src/protocol/frames.js';
import { openClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { freePort } from '../../support/free-port.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

const root = fileURLToPath(new URL('../../../examples/vite/', import.meta.url));

describe('the Vite dev proxy recipe (examples/vite/vite.config.ts)', () => {
  it('passes WebSocket, SSE and long-polling through to Pushwire for a client of the Vite port', async () => {
    const pushwire = await startTestServer();
    process.env.PUSHWIRE_URL = `http://127.0.0.1:${pushwire.port}`;
    const port = await freePort();
    const vite = await createViteServer({
      root,
      configFile: `${root}vite.config.ts`,
      logLevel: 'silent',
      server: { host: '127.0.0.1', port, strictPort: true },
    });
    closeAfterTest(vite);
    await vite.listen();
    delete process.env.PUSHWIRE_URL;

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain('<h1>Vite + Pushwire</h1>'); // the page is Vite's
    const transports: TransportName[] = ['websocket', 'sse', 'long-polling'];
    const received: Record<string, unknown[]> = {};
    for (const transport of transports) {
      // Connected to Vite's port as the page is (a Node client: it sends no Origin header).
      const client = await openClient(`http://127.0.0.1:${port}/pushwire`, { transports: [TRANSPORTS[transport]] });
      expect(client.transport).toBe(transport);
      const got: unknown[] = (received[transport] = []);
      let subscribed = false;
      client.subscribe('news', { onMessage: (data) => got.push(data), onSubscribed: () => (subscribed = true) });
      await waitFor(() => subscribed, `${transport} subscribed through the proxy`);
    }
    for (let i = 1; i <= 3; i++) await pushwire.pushwire.publish('news', { i });
    await waitFor(() => transports.every((t) => received[t]!.length === 3), 'every client got every message');
    for (const transport of transports) expect(received[transport]).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
  });
});
