import { describe, expect, it } from 'vitest';
import { advance, settle, track, useMockServer } from '../fakes/index.js';

const mock = useMockServer();
const reconnect = { min: 1000, max: 1000 };
const half = (): number => 0.5;

/** Sends `count` reliable frames (a subd, then channel messages) on the newest connection. */
function sendReliable(count: number, from = 1): void {
  mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: from - 1, h: from - 1, st: 'new' });
  for (let q = from; q < from + count - 1; q++) mock.last.send({ t: 'm', ch: 'news', e: 'E', q, d: q });
}

describe('rx: the client counts the reliable server frames of its session', () => {
  it('counts m, subd, err and msg but not welcome, ack, ping or pong, and resumes with that count', async () => {
    const client = await mock.open({ reconnect, random: half });
    client.subscribe('news', () => {});
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' }); // 1
    mock.last.send({ t: 'm', ch: 'news', e: 'E', q: 1, d: 'x' }); // 2
    mock.last.send({ t: 'err', code: 'internal', msg: 'oops' }); // 3
    mock.last.send({ t: 'msg', d: 'direct' }); // 4
    mock.last.send({ t: 'ack', s: 1 });
    mock.last.send({ t: 'ping' });
    mock.last.send({ t: 'pong', id: 99 });
    await settle();

    mock.last.close(1006);
    await advance(500);
    expect(mock.last.frames[0]).toEqual({ t: 'hello', v: 1, sid: 'sid-1', secret: 'secret-1', rx: 4 });
  });

  it('continues counting from the rx of a resumed welcome', async () => {
    await mock.open({ reconnect, random: half });
    mock.last.close(1006);
    await advance(500);
    mock.last.welcome({ resumed: true, rx: 10 });
    mock.last.send({ t: 'msg', d: 1 });
    mock.last.send({ t: 'msg', d: 2 });
    await settle();
    mock.last.close(1006);
    await advance(500);
    expect(mock.last.frames[0]).toMatchObject({ t: 'hello', rx: 12 });
  });

  it('counts m frames it ignores (duplicates, frames during a resubscribe): the server numbered them too', async () => {
    const client = await mock.open({ reconnect, random: half });
    client.subscribe('news', () => {});
    mock.last.send({ t: 'subd', ch: 'news', e: 'E', q: 5, h: 5, st: 'new' }); // 1
    mock.last.send({ t: 'm', ch: 'news', e: 'E', q: 5, d: 'duplicate' }); // 2
    mock.last.send({ t: 'm', ch: 'news', e: 'E', q: 9, d: 'gap' }); // 3
    mock.last.send({ t: 'm', ch: 'news', e: 'E', q: 10, d: 'ignored until subd' }); // 4
    await settle();
    mock.last.close(1006);
    await advance(500);
    expect(mock.last.frames[0]).toMatchObject({ rx: 4 });
  });
});

describe('receipts: ack {n} is debounced', () => {
  it('sends one ack with the total about a second (0.5–1.5 s, jittered) after the first unreceipted frame', async () => {
    // random 0.5: the jitter factor is 0.5 + 0.5, exactly one second.
    const client = await mock.open({ random: () => 0.5 });
    client.subscribe('news', () => {});
    sendReliable(3);
    await settle();
    expect(mock.last.sent('ack')).toEqual([]);
    await advance(600);
    sendReliable(2, 3);
    await advance(399);
    expect(mock.last.sent('ack')).toEqual([]);
    await advance(1);
    expect(mock.last.sent('ack')).toEqual([{ t: 'ack', n: 5 }]);
    await advance(5000);
    expect(mock.last.sent('ack')).toHaveLength(1); // nothing new, nothing sent
  });

  it('sends at once after 128 unreceipted frames', async () => {
    const client = await mock.open();
    client.subscribe('news', () => {});
    sendReliable(128);
    await settle();
    expect(mock.last.sent('ack')).toEqual([{ t: 'ack', n: 128 }]);
  });

  it('does not send a receipt on a connection that was lost (the resume hello carries rx instead)', async () => {
    const client = await mock.open({ reconnect, random: half });
    client.subscribe('news', () => {});
    sendReliable(2);
    await settle();
    const first = mock.last;
    first.close(1006);
    await advance(2000);
    expect(first.sent('ack')).toEqual([]);
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1, sid: 'sid-1', secret: 'secret-1', rx: 2 }]);
  });
});

describe('resume: unacknowledged frames are sent again after the welcome', () => {
  it('resends unacked frames with their original sequence numbers, only after the welcome', async () => {
    const client = await mock.open({ reconnect, random: half });
    track(client.publish('news', 'a'));
    track(client.publish('news', 'b'));
    track(client.publish('news', 'c'));
    await settle();
    mock.last.send({ t: 'ack', s: 1 });
    await settle();

    mock.last.close(1006);
    await advance(500);
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1, sid: 'sid-1', secret: 'secret-1', rx: 0 }]);
    mock.last.welcome({ resumed: true });
    await settle();
    expect(mock.last.frames.slice(1)).toEqual([
      { t: 'pub', s: 2, ch: 'news', d: 'b' },
      { t: 'pub', s: 3, ch: 'news', d: 'c' },
    ]);
  });

  it('queues sends made while disconnected and sends them, in order, after the welcome', async () => {
    const client = await mock.open({ reconnect, random: half });
    track(client.publish('news', 'sent'));
    await settle();
    mock.last.close(1006);
    await settle();
    const offline = track(client.publish('news', 'offline'));
    const direct = track(client.send({ hi: 1 }));
    await advance(500);
    mock.last.welcome({ resumed: true });
    await settle();
    expect(mock.last.frames.slice(1)).toEqual([
      { t: 'pub', s: 1, ch: 'news', d: 'sent' },
      { t: 'pub', s: 2, ch: 'news', d: 'offline' },
      { t: 'msg', s: 3, d: { hi: 1 } },
    ]);
    mock.last.send({ t: 'ack', s: 3 });
    await settle();
    expect([offline.status, direct.status]).toEqual(['resolved', 'resolved']);
  });

  it('also sends frames made before the very first welcome: subscriptions right behind the hello, the rest after the welcome', async () => {
    const client = mock.connect();
    client.subscribe('news', () => {});
    track(client.publish('news', 'early'));
    await settle();
    expect(mock.last.frames).toEqual([
      { t: 'hello', v: 1 },
      { t: 'sub', s: 1, ch: 'news' },
    ]);
    mock.last.welcome();
    await settle();
    expect(mock.last.frames.slice(2)).toEqual([{ t: 'pub', s: 2, ch: 'news', d: 'early' }]);
  });

  it('pipelines only the leading subscriptions, and again on the next pipe when the first one fails before its welcome', async () => {
    const client = mock.connect({ reconnect, random: half });
    client.subscribe('a', () => {});
    client.subscribe('b', () => {});
    track(client.publish('a', 'early'));
    client.subscribe('c', () => {});
    await settle();
    expect(mock.last.frames).toEqual([
      { t: 'hello', v: 1 },
      { t: 'sub', s: 1, ch: 'a' },
      { t: 'sub', s: 2, ch: 'b' },
    ]);
    mock.last.close(1006);
    await advance(1000);
    expect(mock.last.frames).toEqual([
      { t: 'hello', v: 1 },
      { t: 'sub', s: 1, ch: 'a' },
      { t: 'sub', s: 2, ch: 'b' },
    ]);
    mock.last.welcome();
    await settle();
    expect(mock.last.frames.slice(3)).toEqual([
      { t: 'pub', s: 3, ch: 'a', d: 'early' },
      { t: 'sub', s: 4, ch: 'c' },
    ]);
  });

  it('sends the pipelined subscriptions in the hello’s own message, as long as it fits the max payload', async () => {
    const client = mock.connect({ maxPayload: 300 });
    for (let i = 0; i < 20; i++) client.subscribe(`channel-${i}`, () => {});
    await settle();
    expect(mock.last.messages).toBe(1);
    // Each `sub` is ~30 characters: about 100 characters (300 bytes at worst) hold the hello and two.
    expect(mock.last.frames).toEqual([
      { t: 'hello', v: 1 },
      { t: 'sub', s: 1, ch: 'channel-0' },
      { t: 'sub', s: 2, ch: 'channel-1' },
    ]);
    mock.last.welcome();
    await settle();
    expect(mock.last.frames.slice(3).map((frame) => frame.s)).toEqual(Array.from({ length: 18 }, (_, i) => 3 + i));
  });

  it('pipelines at most the subscriptions numbered up to 128, well within what the server holds before its welcome', async () => {
    const client = mock.connect();
    for (let i = 0; i < 200; i++) client.subscribe(`ch${i}`, () => {});
    await settle();
    expect(mock.last.frames).toHaveLength(1 + 128);
    mock.last.welcome();
    await settle();
    expect(mock.last.frames.slice(129).map((frame) => frame.s)).toEqual(Array.from({ length: 72 }, (_, i) => 129 + i));
  });

  it('does not pipeline on a resume: the frames wait for the welcome, which says whether the session continues', async () => {
    const client = await mock.open({ reconnect, random: half });
    mock.last.close(1006);
    await advance(500);
    client.subscribe('news', () => {});
    await settle();
    expect(mock.last.frames).toEqual([{ t: 'hello', v: 1, sid: 'sid-1', secret: 'secret-1', rx: 0 }]);
    mock.last.welcome({ resumed: false, sid: 'sid-2' });
    await settle();
    expect(mock.last.frames.slice(1)).toEqual([{ t: 'sub', s: 1, ch: 'news' }]);
  });
});

describe('receipt timer jitter', () => {
  it('spreads the receipt delay over 0.5–1.5 s with the client’s random source', async () => {
    const client = await mock.open({ random: () => 0 });
    client.subscribe('news', () => {});
    sendReliable(1);
    await settle();
    await advance(499);
    expect(mock.last.sent('ack')).toEqual([]);
    await advance(1);
    expect(mock.last.sent('ack')).toEqual([{ t: 'ack', n: 1 }]);
  });
});
