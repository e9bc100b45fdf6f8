import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, startServer, TRANSPORTS, waitFor, type TestServer } from './harness.js';
import type { PushwireClient } from '../../../src/client/index.js';

let server: TestServer | undefined;
let client: PushwireClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
});

describe.each(['websocket', 'sse', 'long-polling'] as const)('%s smoke', (name) => {
  it('subscribes and receives', async () => {
    server = await startServer({ canPublish: () => true });
    client = connectClient(server.url, { transports: [TRANSPORTS[name]] });
    const got: unknown[] = [];
    client.subscribe('room', (d) => got.push(d), {});
    await waitFor(() => client!.state === 'open', 'open');
    expect(client.transport).toBe(name);
    await new Promise((r) => setTimeout(r, 50));
    await server.pushwire.publish('room', { a: 1 });
    await client.publish('room', { b: 2 });
    await waitFor(() => got.length === 2, 'messages');
    expect(got).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
