import { describe, expect, it } from 'vitest';
import { advance, settle, track, useMockServer, type MockConnection } from '../fakes/index.js';
import { seeded } from '../../support/seeded-random.js';

const mock = useMockServer();

/**
 * The server side, reduced to what resume needs: one channel with a full history, and a session that
 * numbers every reliable frame it sends, replays after the client's `rx` on a resume, handles client
 * frames once by sequence number and acknowledges them cumulatively. `restart` plays a server that
 * lost the session: a new one starts and the client must resubscribe from its position. Frames the
 * server sends just before a drop are lost in flight, as on a real network.
 */
class ServerModel {
  /** Channel history: message n is at index n - 1. */
  readonly history: number[] = [];
  reliable: object[] = [];
  handledSeq = 0;
  /** Payloads of publishes handled, across sessions. */
  readonly handled: unknown[] = [];
  /** Reliable frames sent again on a resume (the client had not received them). */
  replayed = 0;
  /** Client frames that came again after a resume (sent before a drop, not acked in time). */
  duplicates = 0;
  sessions = 1;
  /** Channel messages left out of the live stream. */
  skipped = 0;
  private subscribed = false;
  private read = 0;

  constructor(private connection: MockConnection) {}

  get sid(): string {
    return `sid-${this.sessions}`;
  }

  sendReliable(frame: object): void {
    this.reliable.push(frame);
    this.connection.send(frame);
  }

  /** `skip` plays a hole in the live stream (a broker that dropped it): kept in history, never sent live. */
  publishToChannel(n: number, skip = false): void {
    this.history.push(n);
    if (skip) this.skipped++;
    else if (this.subscribed) this.sendReliable({ t: 'm', ch: 'news', e: 'E', q: n, d: n });
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
      if (frame.t === 'sub') this.subscribe(frame.from as [string, number] | undefined);
    }
    if (fresh.some((f) => f.s !== undefined)) this.connection.send({ t: 'ack', s: this.handledSeq });
    return receipt;
  }

  /** The client came back on `connection`: welcome it as the same session and replay after its rx. */
  resume(connection: MockConnection): void {
    const rx = this.hello(connection);
    connection.welcome({ sid: this.sid, secret: 'secret', resumed: true, rx });
    this.replayed += this.reliable.length - rx;
    for (const frame of this.reliable.slice(rx)) connection.send(frame);
    if (this.handledSeq > 0) connection.send({ t: 'ack', s: this.handledSeq });
  }

  /** The client came back, but the server lost its session: a new one starts. */
  restart(connection: MockConnection): void {
    this.hello(connection);
    this.sessions++;
    this.reliable = [];
    this.handledSeq = 0;
    this.subscribed = false;
    connection.welcome({ sid: this.sid, secret: 'secret', resumed: false, rx: 0 });
  }

  private hello(connection: MockConnection): number {
    this.connection = connection;
    this.read = 1;
    const hello = connection.frames[0]!;
    expect(hello).toMatchObject({ t: 'hello', sid: this.sid, secret: 'secret' });
    expect(hello.rx).toBeLessThanOrEqual(this.reliable.length);
    return hello.rx as number;
  }

  private subscribe(from: [string, number] | undefined): void {
    this.subscribed = true;
    const head = this.history.length;
    const position = from ? from[1] : head;
    this.sendReliable({ t: 'subd', ch: 'news', e: 'E', q: position, h: head, st: from ? 'recovered' : 'new' });
    for (const n of this.history.slice(position)) this.sendReliable({ t: 'm', ch: 'news', e: 'E', q: n, d: n });
  }
}

interface Run {
  received: number[];
  direct: unknown[];
  directSent: number;
  publishes: ReturnType<typeof track>[];
  server: ServerModel;
  drops: number;
}

const TOTAL = 400;

/** Streams TOTAL channel messages (and some direct ones) while the client publishes and the network drops. */
async function run(seed: number, lostSessionChance: number, gapChance = 0): Promise<Run> {
  const random = seeded(seed);
  const client = await mock.open({ reconnect: { min: 10, max: 100 }, random }, { sid: 'sid-1', secret: 'secret' });
  const server = new ServerModel(mock.last);
  const received: number[] = [];
  client.subscribe<number>('news', (n) => received.push(n));
  // Direct messages have no channel position to catch a duplicate: only a correct rx keeps them exactly-once.
  const direct: unknown[] = [];
  client.on('message', (d) => direct.push(d));
  let directSent = 0;
  await settle();
  server.poll();

  const publishes: ReturnType<typeof track>[] = [];
  let drops = 0;
  let maxReceipt = 0;
  for (let step = 0; step < 5000 && (server.history.length < TOTAL || received.length < TOTAL); step++) {
    if (client.state === 'open' && random() < 0.15) {
      publishes.push(track(client.publish('up', publishes.length + 1)));
    } else if (server.history.length < TOTAL) {
      const burst = 1 + Math.floor(random() * 3);
      for (let i = 0; i < burst && server.history.length < TOTAL; i++) {
        const n = server.history.length + 1;
        server.publishToChannel(n, n < TOTAL && random() < gapChance); // a hole shows when the next message comes
      }
      if (random() < 0.3) server.sendReliable({ t: 'msg', d: ++directSent });
    }
    // Half the time the network delivers before anything else happens (sometimes long enough for a receipt).
    if (random() < 0.5) await advance(random() < 0.3 ? 1100 : 1);
    const receipt = server.poll(); // handles and acks what arrived
    maxReceipt = Math.max(maxReceipt, receipt);
    if (client.state === 'open' && random() < 0.1) {
      const before = mock.connections.length;
      mock.last.close(1006, 'network drop'); // server frames still in flight are lost
      drops++;
      await advance(100);
      expect(mock.connections).toHaveLength(before + 1);
      if (random() < lostSessionChance) server.restart(mock.last);
      else server.resume(mock.last);
      maxReceipt = 0;
    }
  }
  await advance(2000);
  server.poll();
  expect(drops).toBeGreaterThanOrEqual(10);
  return { received, direct, directSent, publishes, server, drops };
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('resume across many dropped connections', () => {
  for (const seed of [11, 12, 13]) {
    it(`delivers every channel and direct message once, in order, and handles every publish once (seed ${seed})`, async () => {
      const { received, direct, directSent, publishes, server } = await run(seed, 0);
      expect(server.replayed).toBeGreaterThan(0); // frames were lost in flight and replayed
      expect(server.duplicates).toBeGreaterThan(0); // frames were resent and deduplicated
      expect(received).toEqual(upTo(TOTAL));
      expect(direct).toEqual(upTo(directSent));
      expect(server.handled).toEqual(upTo(publishes.length));
      expect(publishes.map((p) => p.status)).toEqual(publishes.map(() => 'resolved'));
    });
  }
});

describe('sessions the server lost on the way', () => {
  for (const seed of [22, 23, 24]) {
    it(`still delivers every channel message once, in order, by resubscribing from its position (seed ${seed})`, async () => {
      const { received, direct, publishes, server } = await run(seed, 0.3);
      expect(server.sessions).toBeGreaterThan(2);
      expect(received).toEqual(upTo(TOTAL));
      // Direct messages of a lost session may be lost with it, never duplicated or reordered.
      expect(direct).toEqual([...new Set(direct)].sort((a, b) => (a as number) - (b as number)));
      // A publish resolves only if handled; one rejected with session_lost may or may not have been.
      const handled = server.handled as number[];
      expect(handled).toEqual([...new Set(handled)].sort((a, b) => a - b));
      publishes.forEach((p, i) => {
        if (p.status === 'resolved') expect(handled).toContain(i + 1);
        else expect(p).toMatchObject({ status: 'rejected', error: { code: 'session_lost' } });
      });
      expect(publishes.some((p) => p.status === 'rejected')).toBe(true); // these seeds lose a session with a publish in flight
    });
  }
});

describe('holes in the live stream on top of drops and lost sessions', () => {
  for (const seed of [31, 32]) {
    it(`resubscribes from its position at every gap and still gets every channel message once, in order (seed ${seed})`, async () => {
      const { received, server } = await run(seed, 0.1, 0.05);
      expect(server.skipped).toBeGreaterThan(5);
      expect(received).toEqual(upTo(TOTAL));
    });
  }
});
