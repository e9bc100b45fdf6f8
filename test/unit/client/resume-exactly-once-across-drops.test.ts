import { describe, expect, it } from 'vitest';
import { advance, settle, track, useMockServer, type MockConnection } from '../mock-pushwire-server.js';

const mock = useMockServer();

/** mulberry32: a small seeded PRNG, so every run replays the same drops. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The session side of a server, reduced to what resume needs: every reliable frame it sent, numbered;
 * a replay after the client's `rx` on each resume; client frames handled once by sequence number and
 * acknowledged cumulatively. Frames sent just before a drop are lost in flight, as on a real network.
 */
class SessionModel {
  readonly reliable: object[] = [];
  handledSeq = 0;
  readonly handled: unknown[] = [];
  /** Reliable frames sent again on a resume (the client had not received them). */
  replayed = 0;
  /** Client frames that came again after a resume (sent before a drop, not acked in time). */
  duplicates = 0;
  private read = 0;

  constructor(private connection: MockConnection) {}

  sendReliable(frame: object): void {
    this.reliable.push(frame);
    this.connection.send(frame);
  }

  /** Handles what the client sent since the last look; acks it. Returns the highest receipt seen. */
  poll(): number {
    let receipt = 0;
    const fresh = this.connection.frames.slice(this.read);
    this.read = this.connection.frames.length;
    for (const frame of fresh) {
      if (frame.t === 'ack' || frame.t === 'pong') receipt = Math.max(receipt, frame.n as number);
      if (frame.s === undefined) continue;
      if (frame.s <= this.handledSeq) {
        this.duplicates++; // a resend of something already handled
        continue;
      }
      expect(frame.s).toBe(this.handledSeq + 1);
      this.handledSeq = frame.s;
      if (frame.t === 'pub') this.handled.push(frame.d);
    }
    if (fresh.some((f) => f.s !== undefined)) this.connection.send({ t: 'ack', s: this.handledSeq });
    return receipt;
  }

  /** The client came back on `connection`: welcome it as the same session and replay after its rx. */
  resume(connection: MockConnection): void {
    this.connection = connection;
    this.read = 0;
    const hello = connection.frames[0]!;
    expect(hello).toMatchObject({ t: 'hello', sid: 'sid-1', secret: 'secret-1' });
    const rx = hello.rx as number;
    expect(rx).toBeLessThanOrEqual(this.reliable.length);
    connection.welcome({ resumed: true, rx });
    this.replayed += this.reliable.length - rx;
    for (const frame of this.reliable.slice(rx)) connection.send(frame);
    if (this.handledSeq > 0) connection.send({ t: 'ack', s: this.handledSeq });
    this.read = 1;
  }
}

describe('resume across many dropped connections', () => {
  for (const seed of [11, 12, 13]) {
    it(`delivers every channel and direct message once, in order, and handles every publish once (seed ${seed})`, async () => {
      const random = seeded(seed);
      const client = await mock.open({ reconnect: { min: 10, max: 100 }, random });
      const session = new SessionModel(mock.last);
      const received: number[] = [];
      client.subscribe<number>('news', (n) => received.push(n));
      // Direct messages have no channel position to catch a duplicate: only a correct rx keeps them exactly-once.
      const direct: unknown[] = [];
      client.on('message', (d) => direct.push(d));
      let directSent = 0;
      await settle();
      session.poll();
      session.sendReliable({ t: 'subd', ch: 'news', e: 'E', q: 0, h: 0, st: 'new' });

      const publishes: ReturnType<typeof track>[] = [];
      let next = 1;
      let drops = 0;
      let maxReceipt = 0;
      const TOTAL = 400;
      for (let step = 0; step < 5000 && (next <= TOTAL || received.length < TOTAL); step++) {
        if (client.state === 'open' && random() < 0.15) {
          publishes.push(track(client.publish('up', publishes.length + 1)));
        } else if (next <= TOTAL) {
          const burst = 1 + Math.floor(random() * 3);
          for (let i = 0; i < burst && next <= TOTAL; i++, next++) session.sendReliable({ t: 'm', ch: 'news', e: 'E', q: next, d: next });
          if (random() < 0.3) session.sendReliable({ t: 'msg', d: ++directSent });
        }
        // Half the time the network delivers before anything else happens (sometimes long enough for a receipt).
        if (random() < 0.5) await advance(random() < 0.3 ? 1100 : 1);
        maxReceipt = Math.max(maxReceipt, session.poll()); // handles and acks what arrived
        expect(maxReceipt).toBeLessThanOrEqual(received.length + direct.length + 1); // never receipts what it did not get
        if (client.state === 'open' && random() < 0.1) {
          const before = mock.connections.length;
          mock.last.close(1006, 'network drop'); // server frames still in flight are lost
          drops++;
          await advance(100);
          expect(mock.connections).toHaveLength(before + 1);
          session.resume(mock.last);
        }
      }
      await advance(2000);
      session.poll();

      expect(drops).toBeGreaterThanOrEqual(10);
      expect(session.replayed).toBeGreaterThan(0); // frames were lost in flight and replayed
      expect(session.duplicates).toBeGreaterThan(0); // frames were resent and deduplicated
      expect(received).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      expect(direct).toEqual(Array.from({ length: directSent }, (_, i) => i + 1));
      expect(session.handled).toEqual(Array.from({ length: publishes.length }, (_, i) => i + 1));
      expect(publishes.map((p) => p.status)).toEqual(publishes.map(() => 'resolved'));
    });
  }
});
