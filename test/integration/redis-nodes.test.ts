import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../src/server/broker/redis.js';
import { openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { controlledWebSocket } from '../support/controlled-websocket.js';
import { useTestRedis } from '../support/redis-server.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';
import { retry, waitFor } from '../support/wait.js';

const redis = useTestRedis();
afterEach(closeAll);

/** A server node on its own connection to the test Redis; both closed by `closeAll()`. */
async function node(prefix: string, options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
  return startTestServer({ broker, canPublish: () => true, ...options });
}

describe.skipIf(!redis.available)('server nodes sharing channels through Redis', () => {
  it('clients on different nodes receive each other’s messages in order', async () => {
    const [a, b] = [await node('nodes1:'), await node('nodes1:')];
    const onA = await openClient(a.url);
    const onB = await openClient(b.url);
    const gotA: number[] = [];
    const gotB: number[] = [];
    let ready = 0;
    onA.subscribe<number>('room', { onMessage: (n) => gotA.push(n), onSubscribed: () => ready++ });
    onB.subscribe<number>('room', { onMessage: (n) => gotB.push(n), onSubscribed: () => ready++ });
    await waitFor(() => ready === 2, 'both subscribed');
    const sends: Array<Promise<void>> = [];
    for (let i = 1; i <= 200; i++) sends.push(i % 2 ? onA.publish('room', i) : onB.publish('room', i));
    await Promise.all(sends);
    await waitFor(() => gotA.length === 200 && gotB.length === 200, 'all on both nodes');
    expect(gotA).toEqual(gotB); // one order for everyone: the channel's sequence
    expect([...gotA].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('a Redis restart without persistence resets subscriptions explicitly', async () => {
    const server = await node('nodes2:');
    const client = await openClient(server.url);
    const statuses: string[] = [];
    const got: number[] = [];
    client.subscribe<number>('feed', { onMessage: (n) => got.push(n), onSubscribed: (info) => statuses.push(info.status) });
    await waitFor(() => statuses.length === 1, 'subscribed');
    await server.pushwire.publish('feed', 1);
    await waitFor(() => got.length === 1, 'first message');
    await redis.server.restart();
    await retry(() => server.pushwire.publish('feed', 2)); // once the broker has reconnected to the new Redis
    await waitFor(() => statuses.length === 2, 'explicit reset');
    expect(statuses).toEqual(['new', 'reset']);
    await waitFor(() => got.includes(2), 'live after reset');
  });
});

describe.skipIf(!redis.available)('a client that reconnects to another node while its node lives', () => {
  it('the other node takes the session over: the old one releases it (reason moved), answers and unacknowledged publishes arrive once', async () => {
    const ended: string[] = [];
    const answer = {
      onRequest: (_session: unknown, data: unknown) => ({ answer: data }),
      onClose: (_session: unknown, reason: string) => ended.push(reason),
    };
    const [a, b] = [await node('nodes4:', answer), await node('nodes4:', answer)];
    const network = controlledWebSocket();
    const client = await openClient(a.url, { WebSocket: network.WebSocket });
    const opens: Array<{ resumed: boolean; moved: boolean }> = [];
    client.on('open', ({ resumed, moved }) => opens.push({ resumed, moved }));
    const got: number[] = [];
    let subscribed = 0;
    client.subscribe<number>('moving', { onMessage: (n) => got.push(n), onSubscribed: () => subscribed++ });
    await waitFor(() => subscribed === 1, 'subscribed on node A');

    network.muteDown = true; // A handles what the client sends; nothing it answers gets through
    const request = client.request(7);
    const publishes = [1, 2, 3].map((n) => client.publish('moving', n));
    await waitFor(async () => (await b.pushwire.broker.history('moving', {})).head === 3, 'A published all three');
    network.route = `${b.url.replace(/^http/, 'ws')}/ws`;
    network.muteDown = false;
    network.sockets.at(-1)!.terminate();

    await expect(request).resolves.toEqual({ answer: 7 });
    await Promise.all(publishes);
    await waitFor(() => got.length === 3, 'the channel caught up');
    expect(got).toEqual([1, 2, 3]);
    expect((await b.pushwire.broker.history('moving', {})).head).toBe(3); // resent, not published again
    expect(opens).toEqual([{ resumed: true, moved: true }]);
    expect(ended).toEqual(['moved']);
    expect(a.pushwire.stats().counters.sessionsEnded.moved).toBe(1);
    expect(b.pushwire.stats().counters.sessionsAdopted).toBe(1);
  });
});

describe.skipIf(!redis.available)('graceful shutdown of one node behind a load balancer', () => {
  it('moves its clients to another node, where their sessions go on and their channels recover without a gap', async () => {
    const [a, b] = [await node('nodes3:'), await node('nodes3:')];
    const network = controlledWebSocket();
    const client = await openClient(a.url, { WebSocket: network.WebSocket });
    const opens: Array<{ resumed: boolean; moved: boolean }> = [];
    client.on('open', ({ resumed, moved }) => opens.push({ resumed, moved }));
    const statuses: string[] = [];
    const got: number[] = [];
    client.subscribe<number>('ticker', { onMessage: (n) => got.push(n), onSubscribed: (info) => statuses.push(info.status) });
    await waitFor(() => statuses.length === 1, 'subscribed on node A');
    for (let i = 1; i <= 50; i++) await b.pushwire.publish('ticker', i);
    await waitFor(() => got.length === 50, 'live through node A');

    // The load balancer now sends new connections to B; A shuts down gracefully.
    network.route = `${b.url.replace(/^http/, 'ws')}/ws`;
    const closing = a.pushwire.close({ reconnectSpread: 200 });
    for (let i = 51; i <= 100; i++) await b.pushwire.publish('ticker', i);
    await closing;
    await waitFor(() => got.length === 100, 'caught up on node B');
    expect(statuses).toEqual(['new', 'recovered']);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(opens).toEqual([{ resumed: true, moved: true }]); // the same session, taken over by B
    expect(b.pushwire.stats().sessions).toBe(1);
    expect(b.pushwire.stats().counters.sessionsAdopted).toBe(1);
  });
});
