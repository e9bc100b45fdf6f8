import { expect, expectEqual, sleep } from '../check.js';
import type { Frame } from '../peer.js';
import { type ClientCheck, connected, delivered, EPOCH, lastReceipt, m, reconnected, result, subscribed, welcome } from './script-steps.js';

/** Client checks of the session layer (PROTOCOL.md sections 2, 4, 7, 9, 12): counting, resending, ordering, resuming. */

export const sessionChecks: ClientCheck[] = [
  {
    id: 'CL9',
    title: 'hello first on every connection; with a session, a resuming hello (sid, secret, rx)',
    async run(t) {
      const first = await connected(t);
      expectEqual(first.frames[0]?.t, 'hello', 'first frame');
      expect(
        first.frames[0]!.v === 1 && first.frames[0]!.sid === undefined,
        `a first hello has v 1 and no sid: ${JSON.stringify(first.frames[0])}`,
      );
      first.cut();
      const { connection, hello } = await reconnected(t);
      expectEqual(connection.frames[0]?.t, 'hello', 'first frame after the reconnect');
      expectEqual([hello.sid, hello.secret, typeof hello.rx], ['S1', 'K1', 'number'], 'resuming hello');
    },
  },
  {
    id: 'CL1',
    title: 'counts reliable frames from welcome.rx and reports the count in receipts and in the resuming hello',
    async run(t) {
      const connection = await connected(t, { rx: 0 });
      await subscribed(t, connection, 'a'); // subd: #1
      connection.send(
        m('a', 1),
        m('a', 2),
        { t: 'msg', d: 'direct' },
        { t: 'err', code: 'internal', msg: 'x' },
        { t: 'pong', id: 99 },
        { t: 'ack', s: 1 },
      );
      await t.adapter.until(
        () => delivered(t, 'a').length === 2 && t.adapter.of('direct').length === 1,
        'two messages and a direct message',
      );
      connection.send({ t: 'ping' });
      await connection.until(() => lastReceipt(connection) === 5, 'a receipt of 5 (subd, m, m, msg, err)');
      connection.cut();
      const { hello } = await reconnected(t);
      expectEqual(hello.rx, 5, 'rx of the resuming hello');
    },
  },
  {
    id: 'CL8',
    title: 'answers every ping with pong {n}',
    async run(t) {
      const connection = await connected(t);
      connection.send({ t: 'ping' });
      const pong = await connection.waitFor((f) => f.t === 'pong', 'pong');
      expect(typeof pong.n === 'number' && pong.n === 0, `pong carries the receipt count 0: ${JSON.stringify(pong)}`);
    },
  },
  {
    id: 'CL2',
    title: 'keeps sequenced frames until acked and resends them after a resume, in order, same s',
    async run(t) {
      const connection = await connected(t);
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'one' });
      t.adapter.command({ cmd: 'publish', id: 2, ch: 'room', d: 'two' });
      await connection.until(() => connection.sent('pub').length === 2, 'two pub frames');
      const sent = connection.sent('pub').map((f) => [f.s, f.d]);
      expectEqual(
        sent,
        [
          [1, 'one'],
          [2, 'two'],
        ],
        'pub frames numbered from 1',
      );
      connection.cut();
      const { connection: second, hello } = await reconnected(t);
      second.send(welcome({ resumed: true, rx: hello.rx }));
      await second.until(() => second.sent('pub').length === 2, 'the two pub frames again');
      expectEqual(
        second.sent('pub').map((f) => [f.s, f.d]),
        sent,
        'resent frames',
      );
      second.send({ t: 'ack', s: 2 });
      await t.adapter.until(() => t.adapter.of('result').length === 2, 'both publish results');
      expectEqual(
        t.adapter.of('result').map((e) => [e.id, e.ok]),
        [
          [1, true],
          [2, true],
        ],
        'results',
      );
    },
  },
  {
    id: 'CL3',
    title: 'drops duplicates, delivers in order, and on a gap resubscribes from its position instead of delivering',
    async run(t) {
      const connection = await connected(t);
      await subscribed(t, connection, 'a');
      connection.send(m('a', 1), m('a', 1), m('a', 2), m('a', 4));
      const resub = await connection.waitFor(
        (f) => f.t === 'sub' && f.ch === 'a' && Array.isArray(f.from),
        'a sub with from after the gap',
      );
      expectEqual(resub.from, [EPOCH, 2], 'from of the resubscription');
      expectEqual(delivered(t, 'a'), [1, 2], 'delivered before the repair');
      connection.send({ t: 'subd', s: resub.s, ch: 'a', e: EPOCH, q: 2, h: 4, st: 'recovered' }, m('a', 3), m('a', 4), {
        t: 'ack',
        s: resub.s,
      });
      await t.adapter.until(() => delivered(t, 'a').length >= 4, 'messages 3 and 4');
      await sleep(100);
      expectEqual(delivered(t, 'a'), [1, 2, 3, 4], 'delivered');
    },
  },
  {
    id: 'CL3d',
    title: 'ignores a subd answering a sub it has since replaced',
    async run(t) {
      const connection = await connected(t);
      const first = await subscribed(t, connection, 'a');
      connection.send(m('a', 1), m('a', 3)); // a gap: the client resubscribes from 1
      const resub = await connection.waitFor((f) => f.t === 'sub' && f.ch === 'a' && f.s !== first.s, 'the resubscription');
      // A late answer to the first sub, then the real one.
      connection.send({ t: 'subd', s: first.s, ch: 'a', e: EPOCH, q: 50, h: 50, st: 'new' });
      connection.send({ t: 'subd', s: resub.s, ch: 'a', e: EPOCH, q: 1, h: 3, st: 'recovered' }, m('a', 2), m('a', 3), {
        t: 'ack',
        s: resub.s,
      });
      await t.adapter.until(() => delivered(t, 'a').length >= 3, 'messages 2 and 3');
      expectEqual(delivered(t, 'a'), [1, 2, 3], 'delivered');
    },
  },
  {
    id: 'CL3e',
    title: 'reports a subd reset and continues from its position',
    async run(t) {
      const connection = await connected(t);
      await subscribed(t, connection, 'a');
      connection.send(m('a', 1), { t: 'subd', ch: 'a', e: 'E2', q: 7, h: 7, st: 'reset' }, m('a', 8, 'after', 'E2'));
      await t.adapter.waitFor((e) => e.event === 'reset' && e.ch === 'a', 'a reset event');
      await t.adapter.until(() => delivered(t, 'a').includes('after'), 'the message after the reset');
      expectEqual(delivered(t, 'a'), [1, 'after'], 'delivered');
    },
  },
  {
    id: 'CL4',
    title: 'after resumed:false: sent-and-unacked frames fail with session_lost; channels resubscribe from their positions',
    async run(t) {
      const connection = await connected(t);
      await subscribed(t, connection, 'a');
      connection.send(m('a', 1), m('a', 2));
      await t.adapter.until(() => delivered(t, 'a').length === 2, 'two messages');
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'lost?' });
      await connection.waitFor((f) => f.t === 'pub', 'the pub');
      connection.cut();
      const { connection: second } = await reconnected(t);
      second.send(welcome({ sid: 'S2', secret: 'K2', resumed: false, rx: 0 }));
      const result = await t.adapter.waitFor((e) => e.event === 'result' && e.id === 1, 'the publish result');
      expectEqual([result.ok, result.code], [false, 'session_lost'], 'result of the unacknowledged publish');
      const resub = await second.waitFor((f) => f.t === 'sub' && f.ch === 'a', 'the resubscription');
      expectEqual([resub.s, resub.from], [1, [EPOCH, 2]], 'resubscription numbered from 1, from the position');
      expect(!second.frames.some((f) => f.t === 'pub'), 'the lost publish must not be resent silently');
    },
  },
  {
    id: 'CL5',
    title: 'a connection silent past hb + grace is dropped and the session resumed',
    async run(t) {
      const hb = 600;
      const connection = await connected(t, { hb });
      const silentSince = Date.now();
      const { hello } = await reconnected(t);
      const after = Date.now() - silentSince;
      expect(after >= hb, `reconnected after ${after} ms: before the heartbeat interval (${hb} ms) ran out`);
      expectEqual(hello.sid, 'S1', 'the new connection resumes the session');
      expect(connection.frames[0]?.t === 'hello', 'the silent connection began with hello');
    },
  },
  {
    id: 'CL7',
    title: 'acts on close codes by range: 4000 reconnects, 4100 stops and reports',
    async run(t) {
      const connection = await connected(t);
      connection.close(4000, 'transient');
      const { connection: second } = await reconnected(t);
      second.send(welcome({ resumed: true }));
      await t.adapter.until(() => t.adapter.of('open').length === 2, 'open again after 4000');
      second.close(4100, 'fatal');
      const closed = await t.adapter.waitFor((e) => e.event === 'closed', 'the closed event after 4100');
      expectEqual(closed.code, 4100, 'code of the closed event');
      await sleep(1_500);
      expectEqual(t.server.connections.length, 2, 'connections after a fatal close (no reconnect)');
    },
  },
  {
    id: 'EN3',
    title: 'client frames are compact JSON objects, one per line',
    async run(t) {
      const connection = await connected(t);
      await subscribed(t, connection, 'a');
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: { text: 'line\nbreak', n: [1, 2] } });
      await connection.waitFor((f) => f.t === 'pub', 'the pub');
      for (const text of connection.raw) {
        for (const line of text.split('\n').filter((l) => l !== '')) {
          const value = JSON.parse(line) as unknown;
          expect(typeof value === 'object' && value !== null && typeof (value as Frame).t === 'string', `not a frame: ${line}`);
          expectEqual(line, JSON.stringify(value), 'a frame as compact JSON');
        }
      }
    },
  },
  {
    id: 'HS13',
    title: 'a resuming hello is sent alone: nothing follows it before the welcome',
    async run(t) {
      const connection = await connected(t);
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 1 });
      await connection.waitFor((f) => f.t === 'pub', 'the pub');
      connection.cut();
      const { connection: second, hello } = await reconnected(t);
      await sleep(300);
      expectEqual(
        second.frames.map((f) => f.t),
        ['hello'],
        'frames before the welcome',
      );
      second.send(welcome({ resumed: true, rx: hello.rx }));
      await second.waitFor((f) => f.t === 'pub', 'the pub resent after the welcome');
    },
  },
  {
    id: 'EN9',
    title: 'a frame over the max payload is refused locally with too_large, nothing sent',
    async run(t) {
      const connection = await connected(t, { max: 1_024 });
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'x'.repeat(2_000) });
      const result = await t.adapter.waitFor((e) => e.event === 'result' && e.id === 1, 'the publish result');
      expectEqual([result.ok, result.code], [false, 'too_large'], 'result');
      await sleep(100);
      expect(!connection.frames.some((f) => f.t === 'pub'), 'the oversized frame must not be sent');
    },
  },
  {
    id: 'CL4a',
    title:
      'after resumed:true with resync: nothing fails; rx taken from the welcome, unacked frames resent, then joins and subs from the positions',
    async run(t) {
      const presence = t.declared.includes('PR3');
      const connection = await connected(t);
      await subscribed(t, connection, 'a'); // s 1
      connection.send(m('a', 1), m('a', 2));
      await t.adapter.until(() => delivered(t, 'a').length === 2, 'two messages on a');
      if (presence) {
        t.adapter.command({ cmd: 'join', id: 2, ch: 'lobby', meta: { name: 'kit' } });
        const join = await connection.waitFor((f) => f.t === 'join', 'the join');
        connection.send({ t: 'ack', s: join.s });
        await result(t, 2);
      }
      t.adapter.command({ cmd: 'publish', id: 1, ch: 'room', d: 'p' }); // never acknowledged on this connection
      t.adapter.command({ cmd: 'subscribe', ch: 'b' }); // never answered on this connection
      await connection.until(() => connection.sent('pub').length === 1 && connection.sent('sub').length === 2, 'the pub and the sub of b');
      const pubS = connection.sent('pub')[0]!.s;
      const oldSubB = connection.sent('sub').find((f) => f.ch === 'b')!;
      connection.cut();
      const { connection: second } = await reconnected(t);
      // Another node took the session over: its count of what it sent is 10, it handled the pub.
      second.send(welcome({ resumed: true, resync: true, rx: 10 }), { t: 'ack', s: pubS });
      await second.until(
        () =>
          second.frames.some((f) => f.t === 'sub' && f.ch === 'a') &&
          second.frames.some((f) => f.t === 'sub' && f.ch === 'b' && Number(f.s) > Number(oldSubB.s)),
        'subs for a and b after the resync',
      );
      const types = second.frames.map((f) => `${f.t}${f.ch === undefined ? '' : ':' + String(f.ch)}`);
      const pubAt = second.frames.findIndex((f) => f.t === 'pub' && f.s === pubS);
      const subA = second.frames.find((f) => f.t === 'sub' && f.ch === 'a')!;
      expect(pubAt > 0, `the unacknowledged pub (s ${String(pubS)}) is sent again: ${types.join(' ')}`);
      expect(second.frames.indexOf(subA) > pubAt, `the resent pub comes before the new subs: ${types.join(' ')}`);
      expectEqual(subA.from, [EPOCH, 2], 'from of the new sub of a');
      if (presence) {
        const joinAt = second.frames.findIndex((f) => f.t === 'join' && f.ch === 'lobby');
        expect(joinAt > pubAt, `the join is sent again after the resent frames: ${types.join(' ')}`);
      }
      // The late answer to the replaced sub of b is ignored (CL3d); the new one counts.
      const newSubB = second.frames.find((f) => f.t === 'sub' && f.ch === 'b' && Number(f.s) > Number(oldSubB.s))!;
      second.send({ t: 'ping' });
      await second.until(() => second.sent('pong').length > 0, 'the pong');
      expectEqual(second.sent('pong')[0]!.n, 10, 'receipt count after the resync welcome (its rx)');
      second.send(
        { t: 'subd', s: oldSubB.s, ch: 'b', e: EPOCH, q: 50, h: 50, st: 'new' },
        { t: 'subd', s: newSubB.s, ch: 'b', e: EPOCH, q: 0, h: 0, st: 'new' },
        m('b', 1),
      );
      await t.adapter.until(() => delivered(t, 'b').length === 1, 'the first message on b');
      const publish = await result(t, 1);
      expectEqual(publish.ok, true, 'the publish acknowledged by the new node succeeds');
      expectEqual(
        t.adapter.of('result').filter((e) => e.ok !== true),
        [],
        'failed results',
      );
    },
  },
  {
    id: 'PR3',
    title: 'after its session was lost the client joins its presences again in the new session',
    async run(t) {
      const connection = await connected(t);
      t.adapter.command({ cmd: 'join', id: 1, ch: 'lobby', meta: { name: 'kit' } });
      const join = await connection.waitFor((f) => f.t === 'join', 'the join');
      connection.send({ t: 'ack', s: join.s });
      expectEqual((await result(t, 1)).ok, true, 'the join succeeds');
      await subscribed(t, connection, 'a');
      connection.cut();
      const { connection: second } = await reconnected(t);
      second.send(welcome({ sid: 'S2', secret: 'K2', resumed: false, rx: 0 }));
      const again = await second.waitFor((f) => f.t === 'join', 'the join in the new session');
      expectEqual([again.ch, again.meta], ['lobby', { name: 'kit' }], 'the join sent again');
      await second.waitFor((f) => f.t === 'sub' && f.ch === 'a', 'the sub in the new session');
    },
  },
  {
    id: 'BD8',
    title: 'sends waiting for their ack are bounded: past the bound a send is rejected at once with queue_full, nothing dropped',
    async run(t) {
      const connection = await connected(t, {}, { queue: { maxFrames: 5 } });
      for (let id = 1; id <= 7; id++) t.adapter.command({ cmd: 'publish', id, ch: 'room', d: id });
      for (const id of [6, 7]) {
        const refused = await result(t, id);
        expectEqual([refused.ok, refused.code], [false, 'queue_full'], `result of publish ${id}`);
      }
      await connection.until(() => connection.sent('pub').length === 5, 'five pub frames');
      expectEqual(
        connection.sent('pub').map((f) => f.d),
        [1, 2, 3, 4, 5],
        'the publishes sent',
      );
      expectEqual(t.adapter.of('result').length, 2, 'results before any ack');
      connection.send({ t: 'ack', s: 5 });
      await t.adapter.until(() => t.adapter.of('result').length === 7, 'every result');
      expectEqual(
        t.adapter
          .of('result')
          .filter((e) => e.ok === true)
          .map((e) => e.id)
          .sort(),
        [1, 2, 3, 4, 5],
        'acknowledged publishes',
      );
      // The bound frees up with the ack: a new publish goes through.
      t.adapter.command({ cmd: 'publish', id: 8, ch: 'room', d: 8 });
      await connection.until(() => connection.sent('pub').length === 6, 'the publish after the ack');
    },
  },
];
