import { afterEach, expect, it } from 'vitest';
import type { PushwireClient } from '../../src/client/index.js';
import type { PushwireServer, SessionEndReason } from '../../src/server/index.js';
import { FaultProxy } from '../chaos/fault-proxy.js';
import { connectClient, opened, startServer, until } from './helpers.js';

let server: PushwireServer | undefined;
let client: PushwireClient | undefined;
let proxy: FaultProxy | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
  await proxy?.close();
  server = client = proxy = undefined;
});

it('a client whose gap is larger than half its outbound buffer gets a reset instead of a replay that would evict it again and again', async () => {
  const ended: SessionEndReason[] = [];
  const started = await startServer({
    outbound: { maxFrames: 100 },
    history: { size: 1_000 },
    onClose: (_session, reason) => ended.push(reason),
  });
  server = started.server;
  proxy = new FaultProxy(started.port, { cutAfter: null, stallChance: 0, delay: [0, 0] });
  const port = await proxy.listen();
  client = connectClient(`http://127.0.0.1:${port}/pushwire`);
  const statuses: string[] = [];
  const received: number[] = [];
  client.subscribe<number>('feed', { onMessage: (n) => received.push(n), onSubscribed: (info) => statuses.push(info.status) });
  await opened(client);
  await until(() => statuses.length === 1, 2_000, 'the subscription');
  await server.publish('feed', 1);
  await until(() => received.length === 1, 2_000, 'the first message');

  // The client goes away; 300 messages overflow its session's buffer of 100: the session is evicted.
  proxy.upstreamPort = 1; // nothing listens there: reconnects fail until it is restored
  proxy.cutAll();
  for (let n = 2; n <= 301; n++) await server.publish('feed', n);
  expect(ended).toEqual(['evicted']);

  proxy.upstreamPort = started.port;
  await until(() => statuses.length === 2, 5_000, 'the resubscription');
  await server.publish('feed', 302);
  await until(() => received.includes(302), 2_000, 'a live message after the reset');
  await new Promise((resolve) => setTimeout(resolve, 200));
  // One eviction (the overflow), then a reset: the new session was not evicted by its own replay.
  expect(ended).toEqual(['evicted']);
  expect(statuses).toEqual(['new', 'reset']);
  expect(received).toEqual([1, 302]);
});
