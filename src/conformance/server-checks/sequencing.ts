import { type ServerCheck, expect, expectEqual, indexOf, sleep } from '../check.js';
import type { Frame } from '../peer.js';

const KNOWN_CODES = new Set([
  'bad_frame',
  'unknown_type',
  'too_large',
  'bad_channel',
  'forbidden',
  'no_handler',
  'handler_error',
  'rate_limited',
  'limit_exceeded',
  'internal',
]);

/** Sections 5 and 9: sequenced frames, acks, control frames, errors. */
export const sequencingChecks: ServerCheck[] = [
  {
    id: 'SQ1',
    title: 'a resent frame is not handled again, only acknowledged again',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'req', s: 1, d: { n: 1 } });
      await t.acked(peer, 1);
      const acks = peer.frames('ack').length;
      await peer.send({ t: 'req', s: 1, d: { n: 1 } });
      await peer.until(() => peer.frames('ack').length > acks, 'a second ack');
      expectEqual(peer.frames('res').length + peer.frames('err').length, 1, 'answers to the request sent twice');
    },
  },
  {
    id: 'SQ2',
    title: 'a gap in s is tolerated',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'sub', s: 1, ch: t.channel() }, { t: 'sub', s: 5, ch: t.channel() });
      await t.acked(peer, 5);
      expectEqual(
        peer.frames('subd').map((f) => f.s),
        [1, 5],
        'subd frames',
      );
    },
  },
  {
    id: 'SQ3',
    title: 'frames are handled one at a time in the order of s (a slow request delays the next)',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'req', s: 1, d: { delay: 200 } }, { t: 'req', s: 2, d: { n: 2 } });
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('res').map((f) => f.s),
        [1, 2],
        'answers in order',
      );
    },
  },
  {
    id: 'SQ4',
    title: 'acks are cumulative and never go backwards',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      for (let s = 1; s <= 20; s++) await peer.send({ t: 'sub', s, ch: t.channel() });
      await t.acked(peer, 20);
      const acks = peer.frames('ack').map((f) => f.s as number);
      expect(
        acks.every((s, i) => i === 0 || s >= acks[i - 1]!),
        `acks went backwards: ${acks.join(',')}`,
      );
      expect(
        acks.every((s) => Number.isSafeInteger(s) && s >= 1 && s <= 20),
        `acks out of range: ${acks.join(',')}`,
      );
    },
  },
  {
    id: 'SQ5',
    title: 'the err of a failed frame comes before the ack that covers it',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'pub', s: 1, ch: t.channel('plain'), d: 1 });
      await t.acked(peer, 1);
      const err = indexOf(peer, (f) => f.t === 'err' && f.s === 1);
      expect(err >= 0 && err < indexOf(peer, (f) => f.t === 'ack'), `err s 1 must precede the ack: ${peer.describe()}`);
    },
  },
  {
    id: 'SQ6',
    title: 'a frame refused before handling consumes its s: err in order, ack covers it, a duplicate is not answered again',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'pub', s: 1, ch: t.channel() }, { t: 'sub', s: 2, ch: t.channel() });
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [[1, 'bad_frame']],
        'errors',
      );
      await peer.send({ t: 'pub', s: 1, ch: t.channel() }, { t: 'sub', s: 3, ch: t.channel() });
      await t.acked(peer, 3);
      expectEqual(peer.frames('err').length, 1, 'errors after the duplicate');
    },
  },
  {
    id: 'SQ7',
    title: 'subscribing again replaces the subscription: the new subd carries the new s, messages come once',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.subscribedSession();
      const again = await t.subscribe(peer, 2, ch);
      expectEqual([again.t, again.s], ['subd', 2], 'answer to the second sub');
      await t.control.publish(ch, 'once');
      await peer.waitFor((f) => f.t === 'm', 'the message');
      await sleep(100);
      expectEqual(peer.frames('m').length, 1, 'copies of one message');
    },
  },
  {
    id: 'SQ8',
    title: 'from takes precedence over rewind',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch, epoch } = await t.sessionAndHistory(5);
      const subd = await t.subscribe(peer, 1, ch, { from: [epoch, 3], rewind: 5 });
      expectEqual([subd.st, subd.q], ['recovered', 3], 'subd st and q');
      await peer.until(() => peer.frames('m').length >= 2, 'the messages after 3');
      await sleep(50);
      expectEqual(
        peer.frames('m').map((f) => f.q),
        [4, 5],
        'replayed messages',
      );
    },
  },
  {
    id: 'SQ9',
    title: 'unsub of a channel not subscribed succeeds silently',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'unsub', s: 1, ch: t.channel() });
      await t.acked(peer, 1);
      expectEqual(peer.frames('err').length, 0, 'errors');
    },
  },
  {
    id: 'SQ10',
    title: 'a publisher subscribed to the channel receives its own message',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.subscribedSession({ kind: 'pub' });
      await peer.send({ t: 'pub', s: 2, ch, d: { mine: true } });
      const m = await peer.waitFor((f) => f.t === 'm', 'its own message');
      expectEqual(m.d, { mine: true }, 'payload');
    },
  },
  {
    id: 'SQ11',
    title: 'pub where not allowed → forbidden; a throwing message handler → handler_error',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send(
        { t: 'pub', s: 1, ch: t.channel('plain'), d: 1 },
        { t: 'msg', s: 2, d: { throw: 'kit says no' } },
        { t: 'msg', s: 3, d: { fine: 1 } },
      );
      await t.acked(peer, 3);
      const errs = peer.frames('err').map((f) => [f.s, f.code]);
      expectEqual(
        errs,
        [
          [1, 'forbidden'],
          [2, 'handler_error'],
        ],
        'errors',
      );
      expect(String(peer.frames('err')[1]!.msg).includes('kit says no'), 'handler_error carries the thrown message');
    },
  },
  {
    id: 'CF1',
    title: 'a receipt releases the frames it covers',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer } = await t.subscribedSession({ messages: 2 });
      await peer.send({ t: 'pong', n: 3 });
      await roundTrip(peer);
      peer.cut();
      const from2 = (await t.resume(peer, 2)).welcome()!;
      expect(from2.resumed === false, 'a resume from below a receipt must get a new session');
    },
  },
  {
    id: 'CF2',
    title: 'receipts never go backwards; one above what was sent is ignored',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer } = await t.subscribedSession({ messages: 3 });
      await peer.send({ t: 'ack', n: 2 }, { t: 'ack', n: 1 }, { t: 'ack', n: 999 });
      await roundTrip(peer);
      peer.cut();
      const resumed = await t.resume(peer, 2);
      expect(resumed.welcome()!.resumed === true, 'the receipt of 999 must be ignored and 1 must not undo 2');
      await resumed.until(() => resumed.frames('m').length === 2, 'frames 3 and 4 replayed');
    },
  },
  {
    id: 'CF3',
    title: 'ping {id} is answered with pong {id}',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'ping', id: 0 }, { t: 'ping', id: 9_007_199_254_740_991 });
      await peer.until(() => peer.frames('pong').length === 2, 'two pongs');
      expectEqual(
        peer.frames('pong').map((f) => f.id),
        [0, 9_007_199_254_740_991],
        'pong ids',
      );
    },
  },
  {
    id: 'CF4',
    title: 'bye ends the session: close 1000, and it cannot be resumed',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'bye' });
      expectEqual((await peer.waitClosed('close after bye')).code, 1000, 'close code');
      const again = (await t.resume(peer)).welcome()!;
      expect(again.resumed === false, 'a session ended by bye must not resume');
    },
  },
  {
    id: 'ER1',
    title: 'err frames carry a documented code and a msg string',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.sendText('{oops');
      await peer.send({ t: 'sub', s: 1 }, { t: 'zap' }, { t: 'pub', s: 2, ch: t.channel() });
      await t.acked(peer, 2);
      await peer.until(() => peer.frames('err').length >= 3, 'three errors');
      for (const err of peer.frames('err')) {
        expect(KNOWN_CODES.has(String(err.code)) && typeof err.msg === 'string', `undocumented err: ${JSON.stringify(err)}`);
      }
    },
  },
  {
    id: 'ER2',
    title: 'malformed frames after the handshake get bad_frame or bad_channel (naming s when valid) and never close',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      const cases: [string, string, number | undefined][] = [
        ['{not json', 'bad_frame', undefined],
        ['[1,2]', 'bad_frame', undefined],
        ['{"s":1}', 'bad_frame', undefined],
        ['{"t":"sub","s":0,"ch":"a"}', 'bad_frame', undefined],
        ['{"t":"sub","s":1.5,"ch":"a"}', 'bad_frame', undefined],
        ['{"t":"sub","s":"1","ch":"a"}', 'bad_frame', undefined],
        ['{"t":"sub","s":1}', 'bad_channel', 1],
        ['{"t":"sub","s":2,"ch":"a b"}', 'bad_channel', 2],
        ['{"t":"sub","s":3,"ch":"a","from":["e"]}', 'bad_frame', 3],
        ['{"t":"sub","s":4,"ch":"a","rewind":-1}', 'bad_frame', 4],
        ['{"t":"pub","s":5,"ch":"a"}', 'bad_frame', 5],
        ['{"t":"msg","s":6}', 'bad_frame', 6],
        ['{"t":"ack","n":-1}', 'bad_frame', undefined],
        ['{"t":"ping","id":"x"}', 'bad_frame', undefined],
      ];
      for (const [text] of cases) await peer.sendText(text);
      await roundTrip(peer);
      await t.acked(peer, 6);
      // Errors naming an s come in the order of s; the others in the order sent (the two may interleave).
      const errs = peer.frames('err');
      const named = (list: [unknown, unknown][]): [unknown, unknown][] => list.filter(([, s]) => s !== undefined);
      const unnamed = (list: [unknown, unknown][]): [unknown, unknown][] => list.filter(([, s]) => s === undefined);
      const got = errs.map((f): [unknown, unknown] => [f.code, f.s]);
      const want = cases.map(([, code, s]): [unknown, unknown] => [code, s]);
      expectEqual(named(got), named(want), 'errors naming an s (code, s)');
      expectEqual(unnamed(got), unnamed(want), 'errors without s (code), in the order sent');
      expect(peer.closed === null, `the connection must stay open: ${peer.describe()}`);
    },
  },
  {
    id: 'FT1',
    title: 'fields of the wrong type are refused; fields of the right type and range are accepted',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      const ch = t.channel();
      // Accepted: boundary values of every range.
      await peer.send(
        { t: 'sub', s: 1, ch: '!'.repeat(200), rewind: 0 },
        { t: 'sub', s: 2, ch, from: ['e'.repeat(128), 0] },
        { t: 'ack', n: 0 },
        { t: 'ping', id: 0 },
      );
      await t.acked(peer, 2);
      await peer.waitFor((f) => f.t === 'pong', 'pong');
      expectEqual(peer.frames('err').length, 0, 'errors for well-typed frames');
      await peer.send(
        { t: 'sub', s: 3, ch: '!'.repeat(201) },
        { t: 'sub', s: 4, ch, from: ['e'.repeat(129), 0] },
        { t: 'sub', s: 5, ch, from: ['e', -1] },
      );
      await t.acked(peer, 5);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [
          [3, 'bad_channel'],
          [4, 'bad_frame'],
          [5, 'bad_frame'],
        ],
        'errors for out-of-range fields',
      );
    },
  },
  {
    id: 'ER3',
    title: 'an unknown frame type gets unknown_type; with a valid s it consumes it',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'teleport' }, { t: 'teleport', s: 1 }, { t: 'sub', s: 2, ch: t.channel() });
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('err').map((f) => [f.code, f.s]),
        [
          ['unknown_type', undefined],
          ['unknown_type', 1],
        ],
        'errors',
      );
      const err1 = indexOf(peer, (f) => f.t === 'err' && f.s === 1);
      expect(err1 < indexOf(peer, (f) => f.t === 'ack'), 'the err of s 1 must precede the ack covering it');
    },
  },
];

/** Waits until everything sent before has been read by the server (the server answers in order). */
export async function roundTrip(peer: {
  send(...frames: object[]): Promise<number>;
  waitFor(match: (f: Frame) => boolean, what: string): Promise<Frame>;
}): Promise<void> {
  const id = Math.floor(Math.random() * 1e9);
  await peer.send({ t: 'ping', id });
  await peer.waitFor((f) => f.t === 'pong' && f.id === id, `pong ${id}`);
}
