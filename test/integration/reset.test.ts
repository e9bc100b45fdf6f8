import { afterEach, describe, expect, it } from 'vitest';
import type { SubscribedInfo } from '../../src/client/index.js';
import type { ServerOptions } from '../../src/server/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { controlledWebSocket, type NetworkSwitch } from '../support/controlled-websocket.js';
import { startTestServer, type TestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

/** A server with `options`, and a client over a switchable network subscribed to `feed`, recording what it gets. */
async function feedSubscriber(options: ServerOptions) {
  const server = await startTestServer(options);
  const network = controlledWebSocket();
  const client = await openClient(server.url, { WebSocket: network.WebSocket });
  const statuses: string[] = [];
  const got: number[] = [];
  client.subscribe<number>('feed', { onMessage: (v) => got.push(v), onSubscribed: (info) => statuses.push(info.status) });
  await waitFor(() => statuses.length === 1, 'subscribed');
  return { server, client, network, statuses, got };
}

/** Cuts the client off until its session has expired, publishing `from`..`to` meanwhile, then lets it back. */
async function awayPastSession(server: TestServer, network: NetworkSwitch, from: number, to: number): Promise<void> {
  network.offline = true;
  server.killConnections();
  await waitFor(() => server.pushwire.stats().sessions === 0, 'session expired');
  for (let i = from; i <= to; i++) await server.pushwire.publish('feed', i);
  network.offline = false;
}

describe('gaps that history cannot fill end in an explicit reset', () => {
  it('resets a subscription resumed from a position older than the trimmed history', async () => {
    const server = await startTestServer({ history: { size: 10 } });
    const first = await server.pushwire.publish('feed', 0);
    for (let i = 1; i <= 50; i++) await server.pushwire.publish('feed', i);
    const client = await openClient(server.url);
    const statuses: SubscribedInfo[] = [];
    const resets: SubscribedInfo[] = [];
    const got: number[] = [];
    client.subscribe<number>(
      'feed',
      {
        onMessage: (value) => got.push(value),
        onSubscribed: (info) => statuses.push(info),
        onReset: (info) => resets.push(info),
      },
      { from: [first.epoch, first.seq] },
    );
    await waitFor(() => statuses.length === 1, 'subscription answered');
    expect(statuses[0]).toMatchObject({ status: 'reset', epoch: first.epoch, seq: 51, head: 51 });
    expect(resets).toHaveLength(1);
    await server.pushwire.publish('feed', 51);
    await waitFor(() => got.length === 1, 'live after reset');
    expect(got).toEqual([51]); // nothing partial from the trimmed history
  });

  it('recovers exactly the missed messages when history still holds them', async () => {
    const server = await startTestServer({ history: { size: 100 } });
    const first = await server.pushwire.publish('feed', 1);
    for (let i = 2; i <= 20; i++) await server.pushwire.publish('feed', i);
    const client = await openClient(server.url);
    const statuses: string[] = [];
    const got: number[] = [];
    client.subscribe<number>(
      'feed',
      { onMessage: (v) => got.push(v), onSubscribed: (info) => statuses.push(info.status) },
      {
        from: [first.epoch, 5],
      },
    );
    await waitFor(() => got.length === 15, 'replayed 6..20');
    expect(statuses).toEqual(['recovered']);
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => i + 6));
  });

  it('resets a subscription whose epoch changed (history lost)', async () => {
    const server = await startTestServer();
    const client = await openClient(server.url);
    const statuses: string[] = [];
    client.subscribe('feed', { onSubscribed: (info) => statuses.push(info.status) }, { from: ['an-old-epoch', 7] });
    await waitFor(() => statuses.length === 1, 'answered');
    expect(statuses).toEqual(['reset']);
  });

  it('gives a client offline past its session and the history one reset, then live messages', async () => {
    const { server, client, network, statuses, got } = await feedSubscriber({ history: { size: 5 }, sessionTtl: 100 });
    await server.pushwire.publish('feed', 1);
    await waitFor(() => got.length === 1, 'first message');
    await awayPastSession(server, network, 2, 20);

    const opens: boolean[] = [];
    client.on('open', (info) => opens.push(info.resumed));
    await waitFor(() => statuses.length === 2, 'resubscribed on a new session');
    expect(opens).toEqual([false]);
    expect(statuses).toEqual(['new', 'reset']);
    await server.pushwire.publish('feed', 21);
    await waitFor(() => got.length === 2, 'live again');
    await delay(50);
    expect(got).toEqual([1, 21]);
  });

  it('recovers, without a reset, a client whose session expired while history still covers the gap', async () => {
    const { server, network, statuses, got } = await feedSubscriber({ history: { size: 100 }, sessionTtl: 100 });
    await awayPastSession(server, network, 1, 10);
    await waitFor(() => got.length === 10, 'replayed from history');
    expect(statuses).toEqual(['new', 'recovered']);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('evicts a session whose outbound buffer overflows, and the client comes back with an explicit reset', async () => {
    const server = await startTestServer({ history: { size: 10 }, outbound: { maxFrames: 50 } });
    const network = controlledWebSocket();
    const client = await openClient(server.url, { WebSocket: network.WebSocket });
    const statuses: string[] = [];
    const closes: number[] = [];
    client.on('reconnecting', (info) => closes.push(info.code));
    client.subscribe('feed', { onSubscribed: (info) => statuses.push(info.status) });
    await waitFor(() => statuses.length === 1, 'subscribed');
    network.muteDown = true; // the client stops reading: nothing is acknowledged any more
    for (let i = 1; i <= 100; i++) await server.pushwire.publish('feed', i);
    network.muteDown = false;
    await waitFor(() => statuses.length === 2, 'resubscribed after eviction');
    expect(closes[0]).toBe(4002);
    expect(statuses).toEqual(['new', 'reset']);
  });
});
