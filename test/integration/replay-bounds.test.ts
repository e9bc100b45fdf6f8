import { afterEach, expect, it } from 'vitest';
import type { SessionEndReason } from '../../src/server/index.js';
import { connectClient, waitForOpen } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

it('a client whose gap is larger than half its outbound buffer gets a reset instead of a replay that would evict it again and again', async () => {
  const ended: SessionEndReason[] = [];
  const server = await startTestServer({
    outbound: { maxFrames: 100 },
    history: { size: 1_000 },
    onClose: (_session, reason) => ended.push(reason),
  });
  const proxy = closeAfterTest(new FaultProxy(server.port, { cutAfter: null, stallChance: 0, delay: [0, 0] }));
  const port = await proxy.listen();
  const client = connectClient(`http://127.0.0.1:${port}/pushwire`);
  const statuses: string[] = [];
  const received: number[] = [];
  client.subscribe<number>('feed', { onMessage: (n) => received.push(n), onSubscribed: (info) => statuses.push(info.status) });
  await waitForOpen(client);
  await waitFor(() => statuses.length === 1, 'the subscription', 2_000);
  await server.pushwire.publish('feed', 1);
  await waitFor(() => received.length === 1, 'the first message', 2_000);

  // The client goes away; 300 messages overflow its session's buffer of 100: the session is evicted.
  proxy.upstreamPort = 1; // nothing listens there: reconnects fail until it is restored
  proxy.cutAll();
  for (let n = 2; n <= 301; n++) await server.pushwire.publish('feed', n);
  expect(ended).toEqual(['evicted']);

  proxy.upstreamPort = server.port;
  await waitFor(() => statuses.length === 2, 'the resubscription', 5_000);
  await server.pushwire.publish('feed', 302);
  await waitFor(() => received.includes(302), 'a live message after the reset', 2_000);
  await delay(200);
  // One eviction (the overflow), then a reset: the new session was not evicted by its own replay.
  expect(ended).toEqual(['evicted']);
  expect(statuses).toEqual(['new', 'reset']);
  expect(received).toEqual([1, 302]);
});
