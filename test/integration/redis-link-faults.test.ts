import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RedisBroker } from '../../src/server/broker/redis.js';
import { connectClient, openClient } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { useTestRedis } from '../support/redis-server.js';
import { presence } from '../../src/sync/index.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';
import { delay, retry, waitFor } from '../support/wait.js';

// One node's link to Redis goes down and comes back (issue 14, findings 1 and 3): node A talks to
// Redis directly, node B through a proxy that the test takes down.
const redis = useTestRedis();
afterEach(closeAll);

/** A proxy to the test Redis that passes bytes untouched until the test takes the link down. */
async function redisLink(): Promise<{ proxy: FaultProxy; url: string }> {
  const proxy = closeAfterTest(new FaultProxy(redis.server.port, { cutAfter: null, stallChance: 0, delay: [0, 0] }));
  return { proxy, url: `redis://127.0.0.1:${await proxy.listen()}` };
}

async function node(prefix: string, url = redis.url, nodeTimeout?: number): Promise<TestServer> {
  const broker = closeAfterTest(new RedisBroker({ url, prefix, nodeTimeout }));
  return startTestServer({ broker, canPublish: () => true, authorize: ({ auth }) => ({ ok: true, user: auth }) });
}

describe.skipIf(!redis.available)('a node whose Redis link drops and comes back', () => {
  it('catches up a channel it has delivered nothing on yet: the message published meanwhile arrives, without a reset', async () => {
    const link = await redisLink();
    const prefix = redis.prefix('quiet');
    const [a, b] = [await node(prefix), await node(prefix, link.url)];
    const client = await openClient(b.url);
    const got: number[] = [];
    const statuses: string[] = [];
    client.subscribe<number>('quiet', { onMessage: (n) => got.push(n), onSubscribed: (info) => statuses.push(info.status) });
    await waitFor(() => statuses.length === 1, 'subscribed on node B');

    link.proxy.linkDown();
    await delay(300);
    await a.pushwire.publish('quiet', 1);
    await delay(1_200);
    link.proxy.linkUp();

    await waitFor(() => got.length === 1, 'the message published while B was cut off', 10_000);
    expect(got).toEqual([1]);
    expect(statuses).toEqual(['new']);
  });

  it('after a Redis restart, a subscriber gets the new epoch’s acknowledged messages under the reset, not only the newest', async () => {
    const link = await redisLink();
    const prefix = redis.prefix('restart');
    const [a, b] = [await node(prefix), await node(prefix, link.url)];
    const client = await openClient(b.url);
    const got: number[] = [];
    const statuses: string[] = [];
    client.subscribe<number>('feed', { onMessage: (n) => got.push(n), onSubscribed: (info) => statuses.push(info.status) });
    await waitFor(() => statuses.length === 1, 'subscribed on node B');
    await a.pushwire.publish('feed', 1);
    await waitFor(() => got.length === 1, 'first message');

    link.proxy.linkDown();
    await redis.server.restart();
    // Acknowledged by the new Redis while node B is still cut off from it.
    for (const n of [2, 3, 4]) await retry(() => a.pushwire.publish('feed', n));
    link.proxy.linkUp();

    await waitFor(() => got.length === 4, 'the new epoch’s messages on node B', 10_000);
    expect(statuses).toEqual(['new', 'reset']);
    expect(got).toEqual([1, 2, 3, 4]);
  });
});

describe.skipIf(!redis.available)('a node cut off from Redis for longer than nodeTimeout', () => {
  /** Node A behind a proxy the test takes down, node B, and the members of 'lobby' as B reads them. */
  async function partitionable(): Promise<{ link: FaultProxy; a: TestServer; b: TestServer; members(): Promise<string[]> }> {
    const { proxy, url } = await redisLink();
    const prefix = redis.prefix('partition');
    const [a, b] = [await node(prefix, url, 2_000), await node(prefix, redis.url, 2_000)];
    closeAfterTest(proxy, (down) => down.linkUp()); // before the nodes close, even if the test failed with the link down
    const members = async (): Promise<string[]> => Object.keys(await b.pushwire.presence('lobby')).sort();
    return { link: proxy, a, b, members };
  }

  it('its clients that stayed connected are back in presence once the link heals', async () => {
    const { link, a, b, members } = await partitionable();
    presence(await openClient(a.url, { auth: 'ann' }), 'lobby', { name: 'Ann' });
    await waitFor(async () => (await members()).length === 1, 'Ann present');
    presence(await openClient(b.url, { auth: 'bob' }), 'lobby', { name: 'Bob' });
    await waitFor(async () => (await members()).length === 2, 'both present');

    link.linkDown();
    // B takes A for dead and removes its presence entries; Ann's WebSocket to A stays open throughout.
    await waitFor(async () => (await members()).length === 1, 'A’s member removed', 10_000);
    link.linkUp();

    await waitFor(async () => (await members()).length === 2, 'Ann present again after the link healed', 15_000);
    expect(await members()).toEqual(['user:ann', 'user:bob']);
  });

  it('its presence entries are removed even when the node removing them read the presence before they were added', async () => {
    const { link, a, b, members } = await partitionable();
    presence(await openClient(b.url, { auth: 'bob' }), 'lobby', { name: 'Bob' });
    await waitFor(async () => (await members()).length === 1, 'Bob present');
    presence(await openClient(a.url, { auth: 'ann' }), 'lobby', { name: 'Ann' });
    await waitFor(async () => (await members()).length === 2, 'both present');

    link.linkDown();
    await waitFor(async () => (await members()).length === 1, 'A’s member removed', 10_000);
    expect(await members()).toEqual(['user:bob']);
    link.linkUp();
  });
});

describe.skipIf(!redis.available)('a Redis stall', () => {
  it('handshakes abandoned while Redis stalled leave no session behind: clients are welcomed once it answers again', async () => {
    const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix: redis.prefix('stall') }));
    const server = await startTestServer({ broker, limits: { maxSessionsPerAddress: 3 } });
    const admin = closeAfterTest(new Redis(redis.url), (connection) => connection.disconnect());
    await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');

    // As many clients as the limit allows say hello, get no welcome (the session's record write waits for Redis), give up.
    const sockets = Array.from({ length: 3 }, () =>
      closeAfterTest(new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`), (socket) => socket.terminate()),
    );
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('open', resolve))));
    for (const socket of sockets) socket.send('{"t":"hello","v":1}');
    await delay(500);
    for (const socket of sockets) socket.close();

    await waitFor(
      () => server.pushwire.stats().sessions === 0 && server.pushwire.stats().counters.sessionsEnded.expired === 3,
      'abandoned sessions ended',
      10_000,
    );
    const closes: number[] = [];
    const client = connectClient(server.url);
    client.on('close', ({ code }) => closes.push(code));
    await waitFor(() => client.state === 'open', 'a client welcomed after the stall', 10_000);
    expect(closes).toEqual([]);
    expect(server.pushwire.stats().counters.limitHits.sessions_per_address).toBe(0);
  });
});
