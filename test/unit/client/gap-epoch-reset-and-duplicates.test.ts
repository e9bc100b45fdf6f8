import { describe, expect, it } from 'vitest';
import type { MessageInfo, SubscribedInfo } from '../../../src/client/index.js';
import type { PushwireClient } from '../../../src/client/index.js';
import { settle, track, useMockServer } from '../fakes/index.js';

const mock = useMockServer();

interface Recorded {
  messages: [unknown, MessageInfo][];
  subscribed: SubscribedInfo[];
  resets: SubscribedInfo[];
}

/** Subscribes to `news` and confirms it at [E, 5]; the subscription's `sub` frame is s = 1. */
async function subscribedAtFive(client: PushwireClient): Promise<Recorded> {
  const recorded: Recorded = { messages: [], subscribed: [], resets: [] };
  client.subscribe('news', {
    onMessage: (data, info) => recorded.messages.push([data, info]),
    onSubscribed: (info) => recorded.subscribed.push(info),
    onReset: (info) => recorded.resets.push(info),
  });
  await settle();
  mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 5, h: 5, st: 'new' });
  await settle();
  return recorded;
}

const m = (q: number, e = 'E') => ({ t: 'm', ch: 'news', e, q, d: `m${q}` });
const data = (r: Recorded) => r.messages.map(([d]) => d);

describe('subscription confirmation and reset', () => {
  it('delivers consecutive messages with their position', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    mock.last.send(m(6));
    mock.last.send(m(7));
    await settle();
    expect(r.messages).toEqual([
      ['m6', { channel: 'news', epoch: 'E', seq: 6 }],
      ['m7', { channel: 'news', epoch: 'E', seq: 7 }],
    ]);
    expect(r.subscribed).toEqual([{ channel: 'news', status: 'new', epoch: 'E', seq: 5, head: 5 }]);
  });

  it('calls onReset (and onSubscribed) for subd with st:"reset", then continues from the new position', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    mock.last.send({ t: 'subd', ch: 'news', e: 'F', q: 40, h: 40, st: 'reset' });
    mock.last.send(m(41, 'F'));
    await settle();
    const info = { channel: 'news', status: 'reset', epoch: 'F', seq: 40, head: 40 };
    expect(r.resets).toEqual([info]);
    expect(r.subscribed.at(-1)).toEqual(info);
    expect(data(r)).toEqual(['m41']);
  });

  it('does not call onReset for new or recovered confirmations', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 5, h: 9, st: 'recovered' });
    await settle();
    expect(r.subscribed.map((i) => i.status)).toEqual(['new', 'recovered']);
    expect(r.resets).toEqual([]);
  });
});

describe('a gap is never skipped silently', () => {
  it('resubscribes from its position on a gap in sequence numbers and ignores m frames until the new subd', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    mock.last.send(m(6));
    mock.last.send(m(8)); // 7 is missing
    mock.last.send(m(9));
    await settle();
    expect(data(r)).toEqual(['m6']);
    expect(mock.last.sent('sub').at(-1)).toEqual({ t: 'sub', s: 2, ch: 'news', from: ['E', 6] });

    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 6, h: 9, st: 'recovered' });
    for (const q of [7, 8, 9, 10]) mock.last.send(m(q));
    await settle();
    expect(data(r)).toEqual(['m6', 'm7', 'm8', 'm9', 'm10']);
    expect(r.resets).toEqual([]);
  });

  it('resubscribes from its position when the epoch changes, without delivering the other epoch', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    mock.last.send(m(1, 'F'));
    await settle();
    expect(data(r)).toEqual([]);
    expect(mock.last.sent('sub').at(-1)).toEqual({ t: 'sub', s: 2, ch: 'news', from: ['E', 5] });

    mock.last.send({ t: 'subd', ch: 'news', e: 'F', q: 3, h: 3, st: 'reset' });
    mock.last.send(m(4, 'F'));
    await settle();
    expect(r.resets).toHaveLength(1);
    expect(data(r)).toEqual(['m4']);
  });

  it('sends one resubscribe per gap, not one per frame that follows it', async () => {
    const client = await mock.open();
    await subscribedAtFive(client);
    for (const q of [7, 8, 9, 10]) mock.last.send(m(q));
    await settle();
    expect(mock.last.sent('sub')).toHaveLength(2);
  });

  it('ignores m frames of a subscription that is not confirmed yet', async () => {
    const client = await mock.open();
    const seen: unknown[] = [];
    client.subscribe('news', (d) => seen.push(d));
    mock.last.send(m(3));
    await settle();
    expect(seen).toEqual([]);
    expect(mock.last.sent('sub')).toHaveLength(1);
  });
});

describe('duplicates are dropped', () => {
  it('drops m frames at or below the position', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    for (const q of [4, 5, 6, 6, 5, 7]) mock.last.send(m(q));
    await settle();
    expect(data(r)).toEqual(['m6', 'm7']);
    expect(mock.last.sent('sub')).toHaveLength(1); // a duplicate is not a gap
  });

  it('drops the part of a replay that was already delivered', async () => {
    const client = await mock.open();
    const r = await subscribedAtFive(client);
    mock.last.send(m(6));
    mock.last.send(m(8));
    await settle();
    // The server replays from the requested position, but an old frame may still be in flight.
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 6, h: 8, st: 'recovered' });
    for (const q of [6, 7, 8]) mock.last.send(m(q));
    await settle();
    expect(data(r)).toEqual(['m6', 'm7', 'm8']);
  });
});

describe('subscription lifecycle', () => {
  it('several subscriptions to one channel share one server subscription and all get every message', async () => {
    const client = await mock.open();
    const first: unknown[] = [];
    const second: unknown[] = [];
    client.subscribe('news', (d) => first.push(d));
    client.subscribe('news', (d) => second.push(d));
    await settle();
    expect(mock.last.sent('sub')).toHaveLength(1);
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    mock.last.send(m(1));
    await settle();
    expect([first, second]).toEqual([['m1'], ['m1']]);
  });

  it('a refused subscription (err for its sub frame) ends with onError', async () => {
    const client = await mock.open();
    const errors: unknown[] = [];
    client.subscribe('secret', { onError: (e) => errors.push(e) });
    await settle();
    mock.last.send({ t: 'err', s: 1, code: 'forbidden', msg: 'not for you', ch: 'secret' });
    mock.last.send({ t: 'ack', s: 1 });
    await settle();
    expect(errors).toMatchObject([{ code: 'forbidden' }]);
    // Subscribing again starts over with a new sub frame.
    client.subscribe('secret', () => {});
    await settle();
    expect(mock.last.sent('sub')).toEqual([
      { t: 'sub', s: 1, ch: 'secret' },
      { t: 'sub', s: 2, ch: 'secret' },
    ]);
  });

  it('subscribes from a saved position when given `from`', async () => {
    const client = await mock.open();
    client.subscribe('news', () => {}, { from: ['E', 41] });
    await settle();
    expect(mock.last.sent('sub')).toEqual([{ t: 'sub', s: 1, ch: 'news', from: ['E', 41] }]);
  });

  it('unsubscribes only when the last subscription leaves, resolves on the ack, then ignores the channel', async () => {
    const client = await mock.open();
    const seen: unknown[] = [];
    const first = client.subscribe('news', (d) => seen.push(d));
    const second = client.subscribe('news', () => {});
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });
    await settle();

    await first.unsubscribe();
    expect(mock.last.sent('unsub')).toEqual([]);
    const left = track(second.unsubscribe());
    await settle();
    expect(mock.last.sent('unsub')).toEqual([{ t: 'unsub', s: 2, ch: 'news' }]);
    expect(left.status).toBe('pending');
    mock.last.send({ t: 'ack', s: 2 });
    mock.last.send(m(1));
    await settle();
    expect(left.status).toBe('resolved');
    expect(seen).toEqual([]);
  });
});

describe('direct messages', () => {
  it('emits msg frames from the server application as message events', async () => {
    const client = await mock.open();
    const messages: unknown[] = [];
    client.on('message', (d) => messages.push(d));
    mock.last.send({ t: 'msg', d: { hello: 'you' } });
    await settle();
    expect(messages).toEqual([{ hello: 'you' }]);
  });
});

describe('answers to a replaced subscription', () => {
  it('ignores a subd (and its replay) that answers an older sub of the channel', async () => {
    const client = await mock.open();
    const got: unknown[] = [];
    const first = client.subscribe('news', (d) => got.push(d), { rewind: 2 });
    await settle();
    first.unsubscribe().catch(() => {}); // never acknowledged here: what matters is the order of the frames
    client.subscribe('news', (d) => got.push(d), { rewind: 2 });
    await settle();
    const subs = mock.last.sent('sub');
    expect(subs.map((f) => f.s)).toEqual([1, 3]);
    // The server answers the first sub (now stale), replays, then answers the second and replays again.
    mock.last.send({ t: 'subd', s: 1, ch: 'news', e: 'E', q: 3, h: 5, st: 'new' });
    mock.last.send(m(4));
    mock.last.send(m(5));
    mock.last.send({ t: 'subd', s: 3, ch: 'news', e: 'E', q: 3, h: 5, st: 'new' });
    mock.last.send(m(4));
    mock.last.send(m(5));
    await settle();
    expect(got).toEqual(['m4', 'm5']); // once, not twice
  });
});
