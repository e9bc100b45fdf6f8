import { afterEach, describe, expect, it } from 'vitest';
import type { TransportName } from '../../../src/protocol/frames.js';
import { connectClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { delay, waitFor } from '../../support/wait.js';

afterEach(closeAll);

describe.each(['websocket', 'sse', 'long-polling'] as TransportName[])('subscriptions made before the first welcome, over %s', (name) => {
  it('are all confirmed and live (the first ones ride behind the hello, the rest follow the welcome), each message once', async () => {
    const server = await startTestServer();
    const client = connectClient(server.url, { transports: [TRANSPORTS[name]] });
    const channels = Array.from({ length: 150 }, (_, i) => `ch${i}`);
    const received = new Map<string, unknown[]>();
    let confirmed = 0;
    for (const channel of channels) {
      received.set(channel, []);
      client.subscribe(channel, { onMessage: (data) => received.get(channel)!.push(data), onSubscribed: () => confirmed++ });
    }
    await waitFor(() => confirmed === channels.length, `all ${channels.length} subscriptions (have ${confirmed})`);
    for (const channel of channels) await server.pushwire.publish(channel, channel);
    await waitFor(() => [...received.values()].every((list) => list.length === 1), 'one message on every channel');
    await delay(50);
    expect([...received.entries()].filter(([channel, list]) => list.length !== 1 || list[0] !== channel)).toEqual([]);
  });
});
