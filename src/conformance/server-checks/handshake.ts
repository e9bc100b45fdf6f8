import { type ServerCheck, expect, expectEqual, Skip } from '../check.js';
import type { Frame } from '../peer.js';

const isInt = (value: unknown, min: number): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

/** Section 4: hello → welcome, resume, handshake failures, pipelining. */
export const handshakeChecks: ServerCheck[] = [
  {
    id: 'HS1',
    title: 'welcome is the first server frame of a connection',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      expectEqual(peer.received[0]?.frame.t, 'welcome', 'first frame type');
    },
  },
  {
    id: 'HS2',
    title: 'a new session gets a fresh sid and secret, resumed:false, rx 0, hb, max and tr',
    scope: 'each',
    async run(t) {
      const a = (await t.handshake()).welcome()!;
      const b = (await t.handshake()).welcome()!;
      for (const w of [a, b]) {
        expect(typeof w.sid === 'string' && w.sid.length >= 16, `sid must be a random string: ${JSON.stringify(w.sid)}`);
        expect(
          typeof w.secret === 'string' && w.secret.length >= 16 && w.secret !== w.sid,
          'secret must be a random string other than the sid',
        );
        expectEqual([w.v, w.resumed, w.rx], [1, false, 0], 'v, resumed, rx');
        expect(isInt(w.hb, 1) && isInt(w.max, 1), `hb and max must be positive integers: ${JSON.stringify(w)}`);
        expect(Array.isArray(w.tr) && w.tr.length > 0, 'tr must list transports');
      }
      expect(a.sid !== b.sid && a.secret !== b.secret, 'two sessions got the same sid or secret');
    },
  },
  {
    id: 'HS3',
    title: 'a resumed welcome carries the same sid and secret',
    scope: 'each',
    async run(t) {
      const first = await t.handshake();
      first.cut();
      const again = (await t.resume(first)).welcome()!;
      expectEqual([again.resumed, again.sid, again.secret], [true, first.welcome()!.sid, first.welcome()!.secret], 'resumed, sid, secret');
    },
  },
  {
    id: 'HS4',
    title: 'a resume the server cannot honour silently starts a new session',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer } = await t.subscribedSession({ messages: 3 });
      await peer.send({ t: 'ack', n: 2 });
      const w = peer.welcome()!;
      const cases: [string, Frame][] = [
        ['a wrong secret', { t: 'hello', v: 1, sid: w.sid, secret: 'wrong-secret-0123456789', rx: 4 }],
        ['an unknown sid', { t: 'hello', v: 1, sid: 'no-such-session-0123456789', secret: w.secret, rx: 0 }],
        ['an rx above what the server sent', { t: 'hello', v: 1, sid: w.sid, secret: w.secret, rx: 99 }],
        ['an rx below an earlier receipt', { t: 'hello', v: 1, sid: w.sid, secret: w.secret, rx: 1 }],
      ];
      for (const [what, hello] of cases) {
        const other = (await t.handshake(hello)).welcome()!;
        expect(other.resumed === false && other.sid !== w.sid, `${what}: expected a new session, got ${JSON.stringify(other)}`);
      }
      const honest = (await t.resume(peer, 4)).welcome()!;
      expect(honest.resumed === true, 'the session itself must still resume after the refused attempts');
    },
  },
  {
    id: 'HS5',
    title: 'a resume replays every reliable frame after rx, in order, then the ack',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.subscribedSession();
      await t.acked(peer, 1);
      await t.control.publish(ch, 'before', 2);
      await peer.until(() => peer.frames('m').length === 2, 'two messages');
      peer.cut();
      await t.control.publish(ch, 'while away', 3); // sent into the void (or never sent)
      const again = await t.resume(peer, 2); // subd and the first message
      await again.until(() => again.frames('ack').length > 0, 'the ack after the replay');
      const w = again.welcome()!;
      expectEqual(w.rx, 2, 'welcome.rx');
      const replayed = again
        .frames()
        .filter((f) => f.t === 'm')
        .map((f) => f.q);
      expectEqual(replayed, [2, 3, 4, 5], 'replayed message sequence numbers');
      const ackIndex = again.frames().findIndex((f) => f.t === 'ack');
      const lastM = again
        .frames()
        .map((f) => f.t)
        .lastIndexOf('m');
      expect(ackIndex > lastM, `the ack must follow the replay: ${again.describe()}`);
      expectEqual(again.frames('ack')[0]!.s, 1, 'ack after the resumed welcome');
    },
  },
  {
    id: 'HS6',
    title: 'the rx of a resuming hello acknowledges the frames up to it',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer } = await t.subscribedSession({ messages: 2 });
      peer.cut();
      const resumed = await t.resume(peer, 3);
      expect(resumed.welcome()!.resumed === true, 'resume with rx 3');
      resumed.cut();
      const lower = (await t.resume(peer, 2)).welcome()!;
      expect(lower.resumed === false, `frames up to rx 3 must have been released: a resume from 2 got ${JSON.stringify(lower)}`);
    },
  },
  {
    id: 'HS15',
    title: 'a resume whose credentials name another user closes with 4201 and leaves the session as it was',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake({ t: 'hello', v: 1, auth: { user: 'alice' } });
      const w = peer.welcome()!;
      peer.cut();
      const other = t.open({ t: 'hello', v: 1, sid: w.sid, secret: w.secret, rx: 0, auth: { user: 'mallory' } });
      expectEqual((await other.waitClosed('close 4201')).code, 4201, 'close code for another user');
      const same = (await t.handshake({ t: 'hello', v: 1, sid: w.sid, secret: w.secret, rx: 0, auth: { user: 'alice' } })).welcome()!;
      expect(same.resumed === true && same.sid === w.sid, `the session must still resume for its own user: ${JSON.stringify(same)}`);
    },
  },
  {
    id: 'HS7',
    title: 'a first frame that is not a well-formed hello closes with 4101',
    scope: 'each',
    async run(t) {
      const firsts = [
        '{not json',
        JSON.stringify({ t: 'sub', s: 1, ch: 'a' }),
        JSON.stringify({ t: 'hello' }),
        JSON.stringify({ t: 'hello', v: 1, sid: 'abc', rx: 0 }),
      ];
      for (const first of firsts) {
        const closed = await t.open(first).waitClosed(`close after ${first}`);
        expectEqual(closed.code, 4101, `close code after first frame ${first}`);
      }
    },
  },
  {
    id: 'HS8',
    title: 'a hello of another protocol version closes with 4100 naming both versions',
    scope: 'each',
    async run(t) {
      const closed = await t.open({ t: 'hello', v: 2 }).waitClosed('close after hello v 2');
      expectEqual(closed.code, 4100, 'close code');
      expect(closed.reason.includes('2') && closed.reason.includes('1'), `reason must name both versions: ${closed.reason}`);
    },
  },
  {
    id: 'HS9',
    title: 'no hello within the handshake timeout closes with 4003; a refused authorize with 4200',
    scope: 'each',
    control: true,
    async run(t) {
      const refused = await t.open({ t: 'hello', v: 1, auth: { refuse: true } }).waitClosed('close after a refused auth');
      expectEqual(refused.code, 4200, 'close code after authorize refused');
      if (t.transport !== 'websocket') return; // an HTTP connection only exists once its body (the hello) arrived
      if (t.config.handshakeTimeout > 10_000)
        throw new Skip(`the handshake timeout (${t.config.handshakeTimeout} ms) is too long to wait for`);
      const silent = t.open(JSON.stringify({ t: 'ping', id: 1 }));
      const closed = await silent.waitClosed('handshake timeout', t.config.handshakeTimeout + 3_000);
      expectEqual(closed.code, 4003, 'close code of a silent connection');
    },
  },
  {
    id: 'HS10',
    title: 'a ping before hello gets its pong, and the handshake goes on',
    scope: 'each',
    async run(t) {
      const peer = t.open(`${JSON.stringify({ t: 'ping', id: 42 })}`);
      const pong = await peer.waitFor((f) => f.t === 'pong', 'pong');
      expectEqual(pong.id, 42, 'pong id');
      await peer.send({ t: 'hello', v: 1 });
      await peer.waitFor((f) => f.t === 'welcome', 'welcome after the ping');
    },
  },
  {
    id: 'HS11',
    title: 'a hello after the handshake gets err bad_frame without s, and the session goes on',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'hello', v: 1 });
      const err = await peer.waitFor((f) => f.t === 'err', 'err');
      expect(err.code === 'bad_frame' && err.s === undefined, `expected err bad_frame without s: ${JSON.stringify(err)}`);
      await t.subscribe(peer, 1, t.channel());
    },
  },
  {
    id: 'HS12',
    title: 'frames pipelined behind the hello are handled after the welcome, in order',
    scope: 'each',
    async run(t) {
      const [a, b] = [t.channel(), t.channel()];
      const peer = t.open(
        [
          { t: 'hello', v: 1 },
          { t: 'sub', s: 1, ch: a },
          { t: 'sub', s: 2, ch: b },
        ]
          .map((f) => JSON.stringify(f))
          .join('\n'),
      );
      await t.acked(peer, 2);
      const subds = peer.frames('subd').map((f) => [f.s, f.ch]);
      expectEqual(
        subds,
        [
          [1, a],
          [2, b],
        ],
        'subd frames',
      );
      expectEqual(peer.received[0]?.frame.t, 'welcome', 'first frame');
    },
  },
  {
    id: 'BD4',
    title: 'more than 256 frames before the welcome close with 4101',
    scope: 'websocket',
    async run(t) {
      const frames = [JSON.stringify({ t: 'hello', v: 1 })];
      for (let s = 1; s <= 300; s++) frames.push(JSON.stringify({ t: 'ping', id: s }));
      const closed = await t.open(frames.join('\n')).waitClosed('close 4101');
      expectEqual(closed.code, 4101, 'close code');
    },
  },
  {
    id: 'BD10',
    title: 'at most 8 pings are answered before hello; a ninth closes with 4101',
    scope: 'each',
    async run(t) {
      const pings = Array.from({ length: 9 }, (_, i) => JSON.stringify({ t: 'ping', id: i + 1 }));
      const peer = t.open(pings.slice(0, 8).join('\n'));
      await peer.until(() => peer.frames('pong').length === 8, 'eight pongs');
      await peer.sendText(pings[8]!);
      expectEqual((await peer.waitClosed('close 4101')).code, 4101, 'close code after a ninth ping');
    },
  },
  {
    id: 'HS14',
    title: 'a hello over the max payload is refused: 413 over HTTP, close 1009 on WebSocket',
    scope: 'each',
    control: true,
    async run(t) {
      const hello = JSON.stringify({ t: 'hello', v: 1, auth: 'x'.repeat(t.config.max + 100) });
      const peer = t.open(hello);
      if (t.transport === 'websocket') {
        expectEqual((await peer.waitClosed('close 1009')).code, 1009, 'close code');
      } else {
        await peer.opened();
        expectEqual(peer.openStatus, 413, 'status of an oversized opening body');
      }
    },
  },
];
