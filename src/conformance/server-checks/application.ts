import { type ServerCheck, expect, expectEqual, indexOf } from '../check.js';

/** Sections 12 and 13 (synced state, presence, requests) and section 15 (test mode). */
export const applicationChecks: ServerCheck[] = [
  {
    id: 'ST1',
    title: 'a state change is one channel message {"$patch": [add/remove/replace operations]}',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.subscribedSession();
      await t.control.call({ op: 'state', ch, doc: { a: 1, list: [1, 2] } });
      await t.control.call({ op: 'state', ch, doc: { list: [2], b: 'x' } });
      await peer.until(() => peer.frames('m').length === 2, 'two state messages');
      for (const m of peer.frames('m')) {
        const ops = (m.d as { $patch?: { op: string }[] }).$patch;
        expect(Array.isArray(ops) && ops.length > 0, `a state message carries {"$patch": [...]}: ${JSON.stringify(m.d)}`);
        expect(
          ops.every((op) => ['add', 'remove', 'replace'].includes(op.op)),
          `only add, remove, replace on the wire: ${JSON.stringify(ops)}`,
        );
      }
    },
  },
  {
    id: 'ST2',
    title: 'a client pub of {"$patch": …} is refused with forbidden',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'pub', s: 1, ch: t.channel('pub'), d: { $patch: [] } });
      await t.acked(peer, 1);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [[1, 'forbidden']],
        'errors',
      );
    },
  },
  {
    id: 'ST3',
    title: 'get → one snap with its s before the ack; null without state; refused where sub is',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'get', s: 1, ch: t.channel() }, { t: 'get', s: 2, ch: t.channel('forbidden') });
      await t.acked(peer, 2);
      const snap = peer.frames('snap')[0];
      expect(snap !== undefined && snap.s === 1 && snap.d === null, `snap for a channel without state: ${peer.describe()}`);
      expect(indexOf(peer, (f) => f.t === 'snap') < indexOf(peer, (f) => f.t === 'ack'), 'the snap must precede the ack');
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [[2, 'forbidden']],
        'errors',
      );
    },
  },
  {
    id: 'ST4',
    title: 'a snapshot holds every state change up to the head, q = the last change',
    scope: 'each',
    control: true,
    async run(t) {
      const ch = t.channel();
      await t.control.call({ op: 'state', ch, doc: { v: 1 } });
      await t.control.publish(ch, 'not a state change');
      const change = (await t.control.call({ op: 'state', ch, doc: { v: 2 } })).body as { epoch: string; seq: number };
      await t.control.publish(ch, 'another plain message');
      const peer = await t.handshake();
      await peer.send({ t: 'get', s: 1, ch });
      const snap = await peer.waitFor((f) => f.t === 'snap', 'snap');
      expectEqual([snap.d, snap.e, snap.q], [{ v: 2 }, change.epoch, change.seq], 'snapshot');
    },
  },
  {
    id: 'PR1',
    title: 'join puts {presence connection id: meta} under the member key in $presence:X',
    scope: 'each',
    async run(t) {
      const room = t.channel();
      const peer = await t.handshake();
      await peer.send({ t: 'join', s: 1, ch: room, meta: { name: 'kit' } }, { t: 'get', s: 2, ch: `$presence:${room}` });
      const snap = await peer.waitFor((f) => f.t === 'snap', 'presence snapshot');
      const doc = snap.d as Record<string, Record<string, unknown>>;
      const members = Object.entries(doc ?? {});
      expectEqual(members.length, 1, 'members');
      const [key, connections] = members[0]!;
      const ids = Object.keys(connections);
      expect(
        ids.length === 1 && (key.startsWith('user:') || key === `anon:${ids[0]}`),
        `member key ${key} and connections ${JSON.stringify(connections)}`,
      );
      expectEqual(connections[ids[0]!], { name: 'kit' }, 'metadata');
    },
  },
  {
    id: 'PR2',
    title: 'a session that ends leaves presence',
    scope: 'each',
    async run(t) {
      const room = t.channel();
      const member = await t.handshake();
      await member.send({ t: 'join', s: 1, ch: room, meta: 1 });
      await t.acked(member, 1);
      const watcher = await t.handshake();
      await t.subscribe(watcher, 1, `$presence:${room}`);
      await member.send({ t: 'bye' });
      await watcher.waitFor((f) => f.t === 'm', 'the presence change');
      await watcher.send({ t: 'get', s: 2, ch: `$presence:${room}` });
      const snap = await watcher.waitFor((f) => f.t === 'snap', 'presence snapshot');
      expectEqual(snap.d, null, 'presence after the only member left');
    },
  },
  {
    id: 'PR4',
    title: '$presence: channels: pub forbidden, oversized metadata too_large, a too long channel bad_channel',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      await peer.send(
        { t: 'pub', s: 1, ch: `$presence:${t.channel()}`, d: 1 },
        { t: 'join', s: 2, ch: t.channel(), meta: 'x'.repeat(3_000) },
        { t: 'join', s: 3, ch: 'x'.repeat(195), meta: 1 },
      );
      await t.acked(peer, 3);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [
          [1, 'forbidden'],
          [2, 'too_large'],
          [3, 'bad_channel'],
        ],
        'errors',
      );
    },
  },
  {
    id: 'RQ1',
    title: 'every req gets exactly one res with its s, before the ack',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'req', s: 1, d: { q: 1 } }, { t: 'req', s: 2, d: [1, 2] });
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('res').map((f) => [f.s, f.d]),
        [
          [1, { echo: { q: 1 } }],
          [2, { echo: [1, 2] }],
        ],
        'answers',
      );
      expect(
        indexOf(peer, (f) => f.t === 'res' && f.s === 2) < indexOf(peer, (f) => f.t === 'ack' && f.s === 2),
        'res 2 must precede the ack covering it',
      );
    },
  },
  {
    id: 'RQ2',
    title: 'a throwing request handler → err handler_error with its message',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'req', s: 1, d: { throw: 'nope' } });
      await t.acked(peer, 1);
      const err = peer.frames('err')[0];
      expect(
        err !== undefined && err.code === 'handler_error' && String(err.msg).includes('nope') && err.s === 1,
        `expected handler_error for s 1: ${peer.describe()}`,
      );
      expectEqual(peer.frames('res').length, 0, 'res frames');
    },
  },
  {
    id: 'RQ3',
    title: 'a slow request delays the frames after it, never reorders them',
    scope: 'each',
    control: true,
    async run(t) {
      const ch = t.channel();
      const peer = await t.handshake();
      await peer.send({ t: 'req', s: 1, d: { delay: 150 } }, { t: 'sub', s: 2, ch });
      await t.acked(peer, 2);
      expect(
        indexOf(peer, (f) => f.t === 'res') < indexOf(peer, (f) => f.t === 'subd'),
        `res 1 must come before subd 2: ${peer.describe()}`,
      );
    },
  },
  {
    id: 'TM1',
    title: 'the control endpoint answers config, refuses an unknown op with 400',
    scope: 'once',
    control: true,
    async run(t) {
      const config = await t.control.call({ op: 'config' });
      expectEqual(config.status, 200, 'status of config');
      expect(typeof (config.body as { hb?: unknown }).hb === 'number', `config: ${JSON.stringify(config.body)}`);
      expectEqual((await t.control.call({ op: 'no-such-op' })).status, 400, 'status of an unknown op');
      expectEqual((await t.control.call({ op: 'send', sid: 'no-such-session', d: 1 })).status, 404, 'status for an unknown session');
    },
  },
  {
    id: 'TM2',
    title: 'test behaviour: test:pub: publishable, test:forbidden: refused, auth {refuse:true} refused',
    scope: 'once',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'pub', s: 1, ch: t.channel('pub'), d: 1 }, { t: 'sub', s: 2, ch: t.channel('forbidden') });
      await t.acked(peer, 2);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [[2, 'forbidden']],
        'errors',
      );
      expectEqual((await t.open({ t: 'hello', v: 1, auth: { refuse: true } }).waitClosed('refused')).code, 4200, 'close code');
    },
  },
];
