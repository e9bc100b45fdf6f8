import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../../src/server/broker/memory.js';
import { openClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

const HELLO = '{"t":"hello","v":1}';

function frames(body: string): { t: string; [key: string]: unknown }[] {
  return body
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { t: string });
}

/** Opens a long-polling connection; its token and the frames of the first answer. */
async function postHello(url: string): Promise<{ token: string; frames: { t: string; [key: string]: unknown }[] }> {
  const open = await fetch(`${url}/poll`, { method: 'POST', body: HELLO });
  return { token: open.headers.get('pushwire-connection')!, frames: frames(await open.text()) };
}

/** Polls connection `token` as a client whose last answer got lost (received 0): 404 once the server holds nothing of it. */
async function repoll(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '0' } });
  await res.arrayBuffer();
  return res.status;
}

describe('long-polling connections a peer opens without a session', () => {
  it('a connection refused at the handshake is not kept once its close frame went out', async () => {
    const server = await startTestServer({ pollTimeout: 2_000, limits: { maxSessionsPerAddress: 2 } });
    const opened = [];
    for (let i = 0; i < 100; i++) opened.push(await postHello(server.url));
    const refused = opened.filter((open) => open.frames[0]?.t === 'close');
    expect(refused.length).toBe(98);
    expect(refused.every((open) => open.frames[0]!.code === 4005)).toBe(true);
    const statuses = await Promise.all(refused.map((open) => repoll(server.url, open.token)));
    expect(statuses.filter((status) => status !== 404)).toEqual([]); // nothing of them is left on the server
    expect(await repoll(server.url, opened[0]!.token)).not.toBe(404); // a connection with a session stays
  });

  it('handshakes in progress from one address are bounded: beyond maxHandshakesPerAddress the connection is refused with 4005', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await startTestServer({
      pollTimeout: 1_000,
      limits: { maxHandshakesPerAddress: 5 },
      authorize: async () => {
        await gate;
        return { ok: true };
      },
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => postHello(server.url)));
    const refused = answers.filter((open) => open.frames[0]?.t === 'close' && open.frames[0].code === 4005);
    expect(refused.length).toBe(15);
    expect(server.pushwire.stats().counters.limitHits.handshakes_per_address).toBe(15);
    release();
    await waitFor(() => server.pushwire.stats().sessions === 5, 'the five in progress welcomed');
    const after = await postHello(server.url); // the count went down as they finished
    expect(after.frames[0]?.t).toBe('welcome');
  });
});

describe('channel event streams (GET /events)', () => {
  it('count against maxSessionsPerAddress like any session, and give their place back when they end', async () => {
    const server = await startTestServer({ limits: { maxSessionsPerAddress: 3 } });
    const controllers = Array.from({ length: 10 }, () => new AbortController());
    const answers = await Promise.all(
      controllers.map((controller) => fetch(`${server.url}/events?channel=news`, { signal: controller.signal })),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 200).length).toBe(3);
    expect(statuses.filter((status) => status === 503).length).toBe(7);
    expect(server.pushwire.stats().counters.limitHits.sessions_per_address).toBe(7);
    const open = answers.findIndex((res) => res.status === 200);
    controllers[open]!.abort();
    await waitFor(
      async () => (await fetch(`${server.url}/events?channel=news`, { signal: AbortSignal.timeout(2_000) })).status === 200,
      'a place freed',
    );
    for (const controller of controllers) controller.abort();
  });
});

describe('channel names', () => {
  it('a channel touched without a message (subscribed, left, read) is not kept', async () => {
    const broker = new MemoryBroker();
    const server = await startTestServer({ broker });
    const client = await openClient(server.url);
    for (let i = 0; i < 200; i++) {
      let confirm = (): void => {};
      const confirmed = new Promise<void>((resolve) => {
        confirm = resolve;
      });
      const subscription = client.subscribe(`touched-${i}`, { onSubscribed: () => confirm() });
      await confirmed;
      await subscription.unsubscribe();
      await client.fetchState(`read-${i}`);
    }
    await waitFor(() => server.pushwire.stats().channels === 0, 'every subscription gone');
    await waitFor(() => broker.channelCount === 0, 'no channel kept');
    await server.pushwire.publish('kept', 1); // a channel with a message is kept (its history)
    expect(broker.channelCount).toBe(1);
    await broker.close();
  });

  it('a channel dropped without messages comes back in the same epoch: a resubscription from its position recovers', async () => {
    const broker = new MemoryBroker();
    const before = await broker.history('quiet', {});
    const stop = await broker.subscribe('quiet', () => {});
    await stop();
    expect(broker.channelCount).toBe(0);
    const published = await broker.publish('quiet', '1');
    expect(published.epoch).toBe(before.epoch);
    expect(await broker.history('quiet', { after: [before.epoch, 0] })).toMatchObject({ ok: true, messages: [{ seq: 1 }] });
    await broker.close();
  });
});
