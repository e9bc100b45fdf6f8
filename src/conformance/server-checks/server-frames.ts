import { type CheckRun, type ServerCheck, expect, expectEqual, indexOf, receiptCount, Skip, sleep } from '../check.js';
import { type Peer, RELIABLE_TYPES } from '../peer.js';
import { roundTrip } from './sequencing.js';

/** Section 6: reliable frames, subscriptions, heartbeat, close; section 8 close codes; section 9 bounds. */
export const serverFrameChecks: ServerCheck[] = [
  {
    id: 'RF1',
    title: 'exactly m, subd, err, msg, snap and res are counted: a resume from the count replays nothing, from one less replays the last',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.subscribedSession();
      await peer.send(
        { t: 'get', s: 2, ch },
        { t: 'req', s: 3, d: 1 },
        { t: 'pub', s: 4, ch: t.channel('plain'), d: 1 },
        { t: 'ping', id: 1 },
      );
      await t.control.publish(ch, 'm');
      await t.control.send(String(peer.welcome()!.sid), 'direct');
      await peer.until(() => peer.frames('msg').length === 1 && peer.frames('m').length === 1, 'the message and the direct message');
      await t.acked(peer, 4);
      const count = receiptCount(peer);
      expectEqual(count, 6, 'reliable frames (subd, snap, res, err, m, msg)');
      peer.cut();
      // One less first: a resume from the full count releases every frame (HS6).
      const one = await t.resume(peer, count - 1);
      await roundTrip(one);
      expectEqual(
        one.reliable().map((r) => r.text),
        [peer.reliable().at(-1)!.text],
        'frames replayed from one less',
      );
      one.cut();
      const all = await t.resume(peer, count);
      await roundTrip(all);
      expect(all.welcome()!.resumed === true, 'a resume from the full count continues the session');
      expectEqual(all.reliable().length, 0, 'frames replayed after a resume from the full count');
    },
  },
  {
    id: 'RF2',
    title: 'replayed frames are the originals, byte for byte, each once',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer } = await t.subscribedSession({ messages: 4, data: { text: 'é ✓ "quoted"', n: [1, 2] } });
      peer.cut();
      const again = await t.resume(peer, 1);
      await roundTrip(again);
      expectEqual(
        again.reliable().map((r) => r.text),
        peer
          .reliable()
          .slice(1)
          .map((r) => r.text),
        'replayed frames',
      );
    },
  },
  {
    id: 'RF3',
    title: 'every subscriber gets the same bytes for a channel message',
    scope: 'each',
    control: true,
    async run(t) {
      const ch = t.channel();
      const a = await t.handshake();
      const b = await t.handshake();
      await t.subscribe(a, 1, ch);
      await t.subscribe(b, 1, ch);
      await t.control.publish(ch, { x: 1 });
      await a.waitFor((f) => f.t === 'm', 'a: message');
      await b.waitFor((f) => f.t === 'm', 'b: message');
      expectEqual(a.received.find((r) => r.frame.t === 'm')!.text, b.received.find((r) => r.frame.t === 'm')!.text, 'message frame text');
    },
  },
  {
    id: 'SB1',
    title: 'sub → one subd with its s, st new and q = h, before the ack',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.sessionAndHistory(3);
      const subd = await t.subscribe(peer, 1, ch);
      await t.acked(peer, 1);
      expectEqual([subd.t, subd.s, subd.ch, subd.st, subd.q, subd.h], ['subd', 1, ch, 'new', 3, 3], 'subd');
      expect(typeof subd.e === 'string' && subd.e.length > 0, 'subd.e must be an epoch');
      expect(indexOf(peer, (f) => f.t === 'subd') < indexOf(peer, (f) => f.t === 'ack'), 'subd must precede the ack');
    },
  },
  {
    id: 'SB2',
    title: 'from inside history → recovered, and every message after it follows once, in order',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch, epoch } = await t.sessionAndHistory(6);
      const subd = await t.subscribe(peer, 1, ch, { from: [epoch, 2] });
      expectEqual([subd.st, subd.e, subd.q, subd.h], ['recovered', epoch, 2, 6], 'subd');
      await t.control.publish(ch, 'live', 2);
      await peer.until(() => peer.frames('m').length >= 6, 'messages 3..8');
      await sleep(50);
      expectEqual(
        peer.frames('m').map((f) => f.q),
        [3, 4, 5, 6, 7, 8],
        'messages',
      );
    },
  },
  {
    id: 'SB3',
    title: 'a from that cannot be filled → reset, never a partial replay',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch, epoch } = await t.sessionAndHistory(3);
      const other = await t.subscribe(peer, 1, ch, { from: ['another-epoch', 1] });
      expectEqual(other.st, 'reset', 'st for another epoch');
      const above = await t.subscribe(peer, 2, t.channel(), { from: [epoch, 50] });
      expectEqual(above.st, 'reset', 'st for a position above the head');
      const history = t.config.historyMessages;
      if (history === null || history > 5_000) throw new Skip('the history limit is unknown or too large to overflow quickly');
      const trimmed = t.channel();
      const first = await t.control.publish(trimmed, 'y', history + 5);
      const reset = await t.subscribe(peer, 3, trimmed, { from: [first.epoch, 1] });
      expectEqual([reset.st, reset.h], ['reset', history + 5], 'subd after trimmed history');
      await sleep(50);
      const replayed = peer.frames('m').filter((f) => f.ch === trimmed);
      expect(
        replayed.length === 0 || replayed[0]!.q === Number(reset.q) + 1,
        `messages after a reset continue from its q: ${peer.describe()}`,
      );
    },
  },
  {
    id: 'BD3',
    title: 'channel history is bounded: past it the oldest are dropped (a resume from before them resets), the newest kept',
    scope: 'each',
    control: true,
    async run(t) {
      const history = t.config.historyMessages;
      if (history === null || history > 5_000) throw new Skip('the history limit is unknown or too large to overflow quickly');
      const { peer, ch, epoch, seq } = await t.sessionAndHistory(history + 5);
      const dropped = await t.subscribe(peer, 1, ch, { from: [epoch, 1] });
      expectEqual([dropped.st, dropped.q], ['reset', seq], 'a resume from a dropped message');
      const kept = await t.subscribe(peer, 2, ch, { from: [epoch, seq - 3] });
      expectEqual(kept.st, 'recovered', 'a resume from the newest messages');
      await peer.until(() => peer.frames('m').filter((f) => f.ch === ch).length >= 3, 'the three newest replayed');
    },
  },
  {
    id: 'SB4',
    title: 'rewind N → st new and the N most recent messages, q just before the first',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch } = await t.sessionAndHistory(8);
      const subd = await t.subscribe(peer, 1, ch, { rewind: 3 });
      expectEqual([subd.st, subd.q, subd.h], ['new', 5, 8], 'subd');
      await peer.until(() => peer.frames('m').length === 3, 'three messages');
      expectEqual(
        peer.frames('m').map((f) => f.q),
        [6, 7, 8],
        'messages',
      );
    },
  },
  {
    id: 'SB5',
    title: 'no gap and no duplicate between history and live messages',
    scope: 'each',
    control: true,
    async run(t) {
      const { peer, ch, epoch } = await t.sessionAndHistory(5, 'old');
      const publishing = t.control.publish(ch, 'live', 40);
      await peer.send({ t: 'sub', s: 1, ch, from: [epoch, 0] });
      const last = await publishing;
      await peer.until(() => peer.frames('m').some((f) => f.q === last.seq), `message ${last.seq}`);
      const subd = peer.frames('subd')[0]!;
      const qs = peer.frames('m').map((f) => f.q as number);
      const expected = Array.from({ length: last.seq - Number(subd.q) }, (_, i) => Number(subd.q) + 1 + i);
      expectEqual(qs, expected, 'message sequence numbers after the subd');
    },
  },
  {
    id: 'SC1',
    title: 'the server pings every hb ms',
    scope: 'each',
    async run(t) {
      const peer = await t.handshake();
      const hb = Number(peer.welcome()!.hb);
      if (hb > 5_000) throw new Skip(`hb ${hb} ms is too long to wait for (run the server with a short heartbeat)`);
      await peer.waitFor((f) => f.t === 'ping', 'a ping', 2 * hb + 1_000);
      const first = peer.received.find((r) => r.frame.t === 'ping')!.at;
      await peer.send({ t: 'pong', n: receiptCount(peer) }); // stay alive (SC3)
      await peer.until(() => peer.frames('ping').length >= 2, 'a second ping', 2 * hb + 1_000);
      const second = peer.received.filter((r) => r.frame.t === 'ping')[1]!.at;
      expect(second - first <= hb * 1.5 + 200, `pings ${second - first} ms apart; hb is ${hb}`);
    },
  },
  {
    id: 'SC6',
    title:
      'a session holding 64 KiB of unacknowledged frames (or a quarter of its outbound bounds) is asked for a receipt: a ping right after',
    scope: 'each',
    control: true,
    async run(t) {
      const { outboundFrames, outboundBytes } = t.config;
      // 80 messages of ~1 KiB that the peer never acknowledges: 64 KiB is reached within them.
      const { peer } = await t.subscribedSession({ messages: 80, data: 'x'.repeat(1000) });
      const received = peer.received;
      let frames = 0;
      let bytes = 0;
      let reached = -1;
      for (let i = 0; i < received.length && reached < 0; i++) {
        if (!RELIABLE_TYPES.has(received[i]!.frame.t)) continue;
        frames++;
        bytes += Buffer.byteLength(received[i]!.text);
        if (frames >= Math.max(1, Math.floor(outboundFrames / 4)) || bytes >= Math.min(64 * 1024, outboundBytes / 4)) reached = i;
      }
      expect(reached >= 0, `the session never held 64 KiB or a quarter of its bounds (${frames} frames, ${bytes} bytes)`);
      expectEqual(
        received[reached + 1]?.frame.t,
        'ping',
        `the frame after the one that reached the bound (reliable frame ${frames}, ${bytes} bytes)`,
      );
    },
  },
  {
    id: 'SC2',
    title: 'a silent client is closed with 4001 between hb + grace and 2·hb + grace',
    scope: 'each',
    control: true,
    async run(t) {
      const { hb, grace } = t.config;
      if (hb > 5_000) throw new Skip(`hb ${hb} ms is too long to wait for (run the server with a short heartbeat)`);
      const peer = await t.handshake();
      const start = Date.now();
      const closed = await peer.waitClosed('close 4001', 2 * hb + grace + 2_000);
      const after = Date.now() - start;
      expectEqual(closed.code, 4001, 'close code');
      expect(
        after >= hb + grace - 100 && after <= 2 * hb + grace + 1_000,
        `dropped after ${after} ms; window is ${hb + grace}..${2 * hb + grace}`,
      );
    },
  },
  {
    id: 'SC3',
    title: 'a client that answers pings stays connected past the heartbeat deadline',
    scope: 'each',
    control: true,
    async run(t) {
      let answered = 0;
      await staysConnected(t, 'answered every ping', async (peer, hb) => {
        await peer.until(() => peer.frames('ping').length > answered || peer.closed !== null, 'a ping', 2 * hb + 1_000);
        answered = peer.frames('ping').length;
        await peer.send({ t: 'pong', n: receiptCount(peer) });
      });
    },
  },
  {
    id: 'CF5',
    title: 'any client frame is a sign of life: a client that sends receipts but never answers a ping stays connected',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await staysConnected(t, 'sent a receipt every hb/2', async (peer, hb) => {
        await peer.send({ t: 'ack', n: receiptCount(peer) });
        await sleep(hb / 2);
      });
      expect(peer.frames('ping').length > 0, 'the server sent pings meanwhile');
    },
  },
  {
    id: 'SC4',
    title: 'the close code reaches the client: natively on WebSocket, as a last close frame on HTTP',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await t.control.close(String(peer.welcome()!.sid), 4100, 'kit');
      const closed = await peer.waitClosed('the close');
      expectEqual(closed.code, 4100, 'close code');
      if (t.transport !== 'websocket') expectEqual(peer.received.at(-1)!.frame.t, 'close', 'last frame');
    },
  },
  {
    id: 'CC3',
    title: 'a newer connection resuming the session closes the older one with 4102',
    scope: 'each',
    async run(t) {
      const old = await t.handshake();
      await t.resume(old);
      expectEqual((await old.waitClosed('close 4102')).code, 4102, 'close code of the replaced connection');
    },
  },
  {
    id: 'SL3',
    title: 'before the server closes a session it sends the cumulative ack',
    scope: 'each',
    control: true,
    async run(t) {
      const peer = await t.handshake();
      await peer.send({ t: 'msg', s: 1, d: 1 });
      await roundTrip(peer); // the msg reached the server before the close is asked for
      await t.control.close(String(peer.welcome()!.sid), 4000, 'kit');
      await peer.waitClosed('the close');
      expect(
        peer.frames('ack').some((f) => f.s === 1),
        `an ack covering 1 must come before the close: ${peer.describe()}`,
      );
    },
  },
  {
    id: 'BD1',
    title: 'a session whose unacknowledged frames cross the outbound bound is evicted with 4002',
    scope: 'each',
    control: true,
    async run(t) {
      const frames = t.config.outboundFrames;
      if (frames > 2_000) throw new Skip(`the outbound bound (${frames} frames) is too large to fill quickly`);
      const { peer, ch } = await t.subscribedSession();
      await t.control.publish(ch, 'x', frames + 5);
      expectEqual((await peer.waitClosed('close 4002')).code, 4002, 'close code');
      const again = (await t.resume(peer)).welcome()!;
      expect(again.resumed === false, 'an evicted session must not resume');
    },
  },
  {
    id: 'SL2',
    title: 'a replay takes at most half the outbound buffer: a larger recovery resets, a rewind replays what fits',
    scope: 'each',
    control: true,
    async run(t) {
      const { historyMessages, outboundFrames } = t.config;
      if (historyMessages === null || historyMessages <= outboundFrames / 2 || historyMessages > 5_000) {
        throw new Skip('needs a history (known, under 5,000) larger than half the outbound buffer');
      }
      const { peer, ch, epoch, seq } = await t.sessionAndHistory(historyMessages);
      const recovery = await t.subscribe(peer, 1, ch, { from: [epoch, 0] });
      expectEqual([recovery.st, recovery.q], ['reset', seq], 'a recovery over half the buffer');
      const rewind = await t.subscribe(peer, 2, t.channel(), {});
      expectEqual(rewind.st, 'new', 'a plain sub');
      const again = await t.subscribe(peer, 3, ch, { rewind: historyMessages });
      const replayed = seq - Number(again.q);
      expect(
        again.st === 'new' && replayed > 0 && replayed <= outboundFrames / 2,
        `a rewind replays at most half the buffer: ${JSON.stringify(again)}`,
      );
      await peer.until(() => peer.frames('m').length === replayed, `${replayed} replayed messages`);
    },
  },
  {
    id: 'BD2',
    title: 'a session without a connection expires after sessionTtl',
    scope: 'websocket',
    control: true,
    async run(t) {
      const { sessionTtl, hb } = t.config;
      if (sessionTtl > 5_000) throw new Skip(`sessionTtl ${sessionTtl} ms is too long to wait for`);
      const peer = await t.handshake();
      peer.cut();
      await sleep(sessionTtl + Math.min(hb, 1_000) + 300);
      expect((await t.resume(peer)).welcome()!.resumed === false, 'the session must have expired');
    },
  },
  {
    id: 'BD5',
    title: 'frames over the rate limit are refused with rate_limited; a further burst closes with 4004',
    scope: 'websocket',
    control: true,
    async run(t) {
      const burst = t.config.frameBurst;
      if (burst > 1_000) throw new Skip(`the frame burst (${burst}) is too large to cross quickly`);
      const peer = await t.handshake();
      const frames = Array.from({ length: burst + 20 }, (_, i) => ({ t: 'unsub', s: i + 1, ch: 'x' }));
      await peer.send(...frames);
      await peer.waitFor((f) => f.t === 'err' && f.code === 'rate_limited', 'err rate_limited');
      const more = Array.from({ length: 2 * burst + 20 }, (_, i) => ({ t: 'unsub', s: burst + 21 + i, ch: 'x' }));
      await peer.send(...more);
      expectEqual((await peer.waitClosed('close 4004')).code, 4004, 'close code');
    },
  },
  {
    id: 'BD6',
    title: 'a subscription over the per-session limit gets limit_exceeded',
    scope: 'each',
    control: true,
    async run(t) {
      const limit = t.config.maxSubscriptions;
      if (limit > 200) throw new Skip(`the subscription limit (${limit}) is too large to reach quickly`);
      const peer = await t.handshake();
      const subs = Array.from({ length: limit + 1 }, (_, i) => ({ t: 'sub', s: i + 1, ch: `${t.channel()}-${i}` }));
      await peer.send(...subs);
      await t.acked(peer, limit + 1);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [[limit + 1, 'limit_exceeded']],
        'errors',
      );
    },
  },
  {
    id: 'EN7',
    title: 'a frame over the max payload gets err too_large naming its s; the session goes on',
    scope: 'websocket',
    async run(t) {
      const peer = await t.handshake();
      const max = Number(peer.welcome()!.max);
      await peer.send({ t: 'msg', s: 1, d: 'x'.repeat(max + 10) });
      await t.acked(peer, 1);
      expectEqual(
        peer.frames('err').map((f) => [f.s, f.code]),
        [[1, 'too_large']],
        'errors',
      );
      await t.subscribe(peer, 2, t.channel());
    },
  },
];

/**
 * A session that does `live` over and over until past the latest heartbeat deadline (2·hb + grace,
 * SC2) must still be connected; returns its peer.
 */
async function staysConnected(t: CheckRun, what: string, live: (peer: Peer, hb: number) => Promise<void>): Promise<Peer> {
  const { hb, grace } = t.config;
  if (hb > 5_000) throw new Skip(`hb ${hb} ms is too long to wait for`);
  const peer = await t.handshake();
  const deadline = Date.now() + 2 * hb + grace + 500;
  while (Date.now() < deadline && !peer.closed) await live(peer, hb);
  expect(peer.closed === null, `closed although it ${what}: ${JSON.stringify(peer.closed)}`);
  return peer;
}
