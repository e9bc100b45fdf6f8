import { afterEach, describe, expect, it } from 'vitest';
import type { ReconnectInfo } from '../../../src/client/index.js';
import type { TransportName } from '../../../src/protocol/frames.js';
import { silentLogger } from '../../../src/server/logger.js';
import { startExpressApp } from '../../../examples/express/server.js';
import { startFastifyApp } from '../../../examples/fastify/server.js';
import { startHonoApp } from '../../../examples/hono/server.js';
import { openClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

interface Recipe {
  name: string;
  /** Starts the example on an ephemeral port; `close` is how the app shuts down. */
  start(): Promise<{ port: number; close(): Promise<void> }>;
}

const options = { logger: silentLogger };

const recipes: Recipe[] = [
  { name: 'Express', start: () => startExpressApp(0, options) },
  { name: 'Hono on Node', start: () => startHonoApp(0, options) },
  {
    name: 'Fastify (plugin)',
    start: async () => {
      const app = await startFastifyApp(0, options);
      const address = app.server.address();
      return { port: typeof address === 'object' && address ? address.port : 0, close: () => app.close() };
    },
  },
];

const transports: TransportName[] = ['websocket', 'sse', 'long-polling'];

describe.each(recipes)('the $name recipe', (recipe) => {
  it('serves the framework’s own page and routes beside Pushwire, on every transport', async () => {
    const app = closeAfterTest(await recipe.start());
    const base = `http://127.0.0.1:${app.port}`;

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('+ Pushwire</h1>');

    const received: Record<string, unknown[]> = {};
    for (const transport of transports) {
      const client = await openClient(`${base}/pushwire`, { transports: [TRANSPORTS[transport]] });
      expect(client.transport).toBe(transport);
      const got: unknown[] = (received[transport] = []);
      let subscribed = false;
      client.subscribe('news', { onMessage: (data) => got.push(data), onSubscribed: () => (subscribed = true) });
      await waitFor(() => subscribed, `${transport} subscribed`);
    }
    const announced = await fetch(`${base}/announce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"headline":"hello"}',
    });
    expect(announced.status).toBe(200);
    expect(await announced.json()).toMatchObject({ seq: 1 });
    await waitFor(() => transports.every((t) => received[t]!.length === 1), 'every client got the announcement');
    expect(received).toEqual({ websocket: [{ headline: 'hello' }], sse: [{ headline: 'hello' }], 'long-polling': [{ headline: 'hello' }] });
  });

  it('closes with the app while clients are connected: they are told to reconnect (4000)', async () => {
    const app = await recipe.start();
    const client = await openClient(`http://127.0.0.1:${app.port}/pushwire`);
    const lost: ReconnectInfo[] = [];
    client.on('reconnecting', (info) => lost.push(info));

    const started = performance.now();
    await app.close();

    expect(performance.now() - started).toBeLessThan(5_000); // an open WebSocket did not hold the close up
    await waitFor(() => lost.length > 0, 'the client lost its connection');
    expect(lost[0]!.code).toBe(4000);
  });
});
