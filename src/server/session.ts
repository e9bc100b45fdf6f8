import type { SequencedClientFrame, TransportName } from '../protocol/frames.js';
import { CloseCode, type ServerErrorCode } from '../protocol/codes.js';
import { monotonicNow } from './clock.js';
import type { Connection } from './connection.js';
import type { Session } from './options.js';
import type { SessionSubscription, Subscriber } from './channels.js';
import { OutboundBuffer } from './outbound-buffer.js';
import type { OutFrame } from './out-frame.js';
import { PING_FRAME, ackFrame, directFrame } from './frames.js';
import { InboundRate, type LimitOptions, resolveLimits } from './limits.js';
import { Counters } from './metrics.js';
import type { SessionMirror } from './cluster/session-mirror.js';
import { atTickEnd } from './tick-end.js';
import { INBOX_ENTRY_OVERHEAD, MemoryBudget, type MemoryLevel, type SessionMemory } from './memory-budget.js';

const SETTLED: Promise<void> = Promise.resolve();
const INBOX_FULL: Record<MemoryLevel, string> = {
  session: 'inbox full: the server is still handling earlier frames of this session',
  address: 'memory budget of this client address exhausted',
  process: 'server memory budget exhausted',
};

/** A client frame with a sequence number, either well formed or already known to be refused. */
export type InboundItem =
  | { s: number; frame: SequencedClientFrame }
  | { s: number; refused: { code: ServerErrorCode; msg: string; ch?: string } };

/** What a session needs from the server around it. */
export interface SessionHost {
  /**
   * Asked before each frame: false (or a promise of it) when this server may no longer handle frames
   * of its sessions (on a cluster: it was taken for dead, and its sessions have ended).
   */
  mayHandle?(): boolean | Promise<boolean>;
  /** Handles one sequenced frame; the session calls it in sequence order, one at a time. */
  handle(session: ServerSession, item: InboundItem): Promise<void>;
  /** The outbound buffer overflowed. */
  overflow(session: ServerSession): void;
  /** A frame was written to the session's connection (to watch for a connection that does not drain). */
  wrote?(session: ServerSession): void;
  /** Ends the session (from the application's `session.close()`). */
  end(session: ServerSession, code: number, reason: string): void;
}

/**
 * One client's session: its frames both ways, and its lifecycle. The lifecycle state (the connection
 * it is on, the expiry while its client is away, whether it ended, when its client was last heard) is
 * changed only by its own methods — attach, detach, heard, end — which the session layer (core.ts)
 * calls; everyone else reads it.
 */
export class ServerSession implements Session, Subscriber {
  private dataObject: Record<string, unknown> | undefined;
  readonly subscriptions = new Map<string, SessionSubscription>();
  readonly out: OutboundBuffer;
  /** The connection its client is on; null while the client is away, and once the session ended. */
  private current: Connection | null = null;
  private isEnded = false;
  /** When the client last sent anything (monotonic ms), for the heartbeat check. */
  private heardAt = 0;
  /** Ends the session once its client has been away for the session TTL. */
  private expiry: ReturnType<typeof setTimeout> | undefined;
  /** The transport of the last connection, to notice a switch on resume. */
  private previousTransport: TransportName | null = null;
  /** Its record in the cluster store, when the server runs as one of several nodes. */
  private record: SessionMirror | null = null;
  /** Frames and bytes per second this session may send. */
  readonly rate: InboundRate;
  /** Highest client sequence number handled; the cumulative ack. */
  private handledSeq = 0;
  /** Highest client sequence number accepted into the inbox; anything at or below it is a duplicate. */
  private acceptedSeq = 0;
  /** Frames accepted and not yet handled, each with the bytes the memory budget counts for it. */
  private inbox: Array<[item: InboundItem, cost: number]> = [];
  private draining = false;
  /** The latest drain of the inbox (settled when it has finished). */
  private drained = SETTLED;
  private ackScheduled = false;
  /** A `ping` asking for a receipt went out on this connection and no receipt has come since (SC6). */
  private receiptRequested = false;

  constructor(
    readonly id: string,
    readonly secret: string,
    readonly user: unknown,
    limits: { maxFrames: number; maxBytes: number } & Pick<LimitOptions, 'framesPerSecond' | 'frameBurst' | 'bytesPerSecond' | 'byteBurst'>,
    private readonly host: SessionHost,
    private readonly counters: Counters = new Counters(),
    /** This session's account in the server's memory budget. */
    readonly memory: SessionMemory = MemoryBudget.unbounded().open(id, ''),
  ) {
    this.out = new OutboundBuffer(limits.maxFrames, limits.maxBytes, memory);
    this.rate = new InboundRate(resolveLimits(limits), monotonicNow());
  }

  get connection(): Connection | null {
    return this.current;
  }

  /** Whether the session has ended: it takes and sends no more frames. */
  get ended(): boolean {
    return this.isEnded;
  }

  /** When its client last sent anything (monotonic ms). */
  get lastSeen(): number {
    return this.heardAt;
  }

  get lastTransport(): TransportName | null {
    return this.previousTransport;
  }

  get remoteAddress(): string {
    return this.memory.addressName;
  }

  get mirror(): SessionMirror | null {
    return this.record;
  }

  /** From now on the session keeps its record in the cluster store up to date through `mirror`. */
  mirrorTo(mirror: SessionMirror): void {
    this.record = mirror;
  }

  /** The application's per-session values (made on first use: most sessions never have any). */
  get data(): Record<string, unknown> {
    return (this.dataObject ??= {});
  }

  get transport(): TransportName | null {
    return this.connection?.transport ?? null;
  }

  channels(): string[] {
    return [...this.subscriptions.keys()];
  }

  send(data: unknown): void {
    this.enqueue(directFrame(JSON.stringify(data ?? null)));
  }

  close(code = 4000, reason = 'session closed by the server'): void {
    this.host.end(this, code, reason);
  }

  /** Sends a reliable frame: kept until the client acknowledges it, replayed if it resumes. */
  enqueue(frame: OutFrame): void {
    if (this.ended) return;
    if (!this.out.push(frame)) {
      this.host.overflow(this);
      return;
    }
    this.counters.framesOut++;
    this.mirror?.sent(this.out.total, frame);
    this.sendControl(frame);
    if (this.out.wantsReceipt && !this.receiptRequested) this.requestReceipt();
  }

  /**
   * Asks the client for a receipt now: a `ping`, which it answers with `pong {n}` (CL8). Receipts are
   * otherwise the client's to pace, and slow ones only cost what the buffer holds, so the server asks
   * only once that is worth it (SC6): a healthy stream of broadcasts costs no receipt traffic between
   * heartbeats.
   */
  private requestReceipt(): void {
    if (!this.connection) return;
    this.receiptRequested = true;
    this.sendControl(PING_FRAME);
  }

  /** Whether a replay of `frames` frames and `bytes` bytes fits in the half of the outbound buffer a replay may take. */
  fitsReplay(frames: number, bytes: number): boolean {
    return this.out.fitsReplay(frames, bytes);
  }

  /** Sends a control frame to the current connection only; it is not replayed. */
  sendControl(frame: OutFrame): void {
    if (!this.connection) return;
    this.connection.send(frame);
    this.host.wrote?.(this);
  }

  /**
   * Binds a connection and replays every reliable frame after `rx`, then the current ack, so the
   * client sees exactly what it missed before anything new. `rx` is also a receipt: the client has
   * everything up to it, so those frames are released.
   */
  attach(connection: Connection, welcome: OutFrame, rx: number): void {
    const previous = this.current;
    if (previous && previous !== connection) {
      this.current = null; // so that its end does not start the expiry
      previous.close(CloseCode.Replaced, 'replaced by a newer connection of this session');
    }
    this.heard(monotonicNow());
    this.receipt(rx);
    const replay = this.out.since(rx);
    this.current = connection;
    connection.account?.(this.memory);
    this.previousTransport = connection.transport;
    clearTimeout(this.expiry);
    this.expiry = undefined;
    connection.send(welcome);
    for (const frame of replay) connection.send(frame);
    if (this.handledSeq > 0) connection.send(ackFrame(this.handledSeq));
    this.host.wrote?.(this);
  }

  /** The client sent something (`now`: monotonic ms): its heartbeat deadline counts from here. */
  heard(now: number): void {
    this.heardAt = now;
  }

  /**
   * The connection ended. If it was the session's, the session waits `ttl` ms for its client to come
   * back on another connection, then `expire` ends it.
   */
  detach(connection: Connection, ttl: number, expire: (session: ServerSession) => void): void {
    if (this.current !== connection) return;
    this.current = null;
    if (this.isEnded) return;
    this.expiry = setTimeout(expire, ttl, this);
    this.expiry.unref?.();
  }

  /** Ends the session: its expiry is off, and it takes and sends no more frames. Then `disconnect`. */
  end(): void {
    this.isEnded = true;
    clearTimeout(this.expiry);
    this.expiry = undefined;
  }

  /** The last step of ending: the client gets the ack of what was handled, then its connection closes with `code`. */
  disconnect(code: number, reason: string): void {
    this.flushAck();
    const connection = this.current;
    this.current = null;
    connection?.close(code, reason);
  }

  /** The client received every reliable frame up to `n`: they are released. */
  receipt(n: number): void {
    this.receiptRequested = false;
    this.out.ack(n);
    this.mirror?.acked(this.out.acked);
  }

  /** A session taken over from another node continues the client's sequence numbers after `handled`. */
  continueAfter(handled: number): void {
    this.handledSeq = this.acceptedSeq = handled;
  }

  /**
   * Takes a client frame with a sequence number (`bytes`: its size on the wire); duplicates (a resend
   * after a reconnect) are only re-acked. A frame the memory budget has no room for (a full inbox,
   * address or process) is refused in sequence order with `limit_exceeded`. A client that keeps sending
   * while even its refusals fill a second inbox's worth has its connection closed (4004): it resends
   * what was not accepted after reconnecting with backoff.
   */
  receive(item: InboundItem, bytes = 0): void {
    if (item.s <= this.acceptedSeq) {
      this.scheduleAck();
      return;
    }
    let entry = item;
    let cost = bytes + INBOX_ENTRY_OVERHEAD;
    const full = this.memory.takeInbox(cost);
    if (full) {
      const ch = 'frame' in item && 'ch' in item.frame ? { ch: item.frame.ch } : {};
      entry = { s: item.s, refused: { code: 'limit_exceeded', msg: INBOX_FULL[full], ...ch } };
      cost = INBOX_ENTRY_OVERHEAD;
      if (!this.memory.takeRefusal(cost)) {
        this.connection?.close(CloseCode.RateLimited, 'inbox full: the server is still handling earlier frames; slow down');
        return;
      }
    }
    this.acceptedSeq = item.s;
    this.inbox.push([entry, cost]);
    if (!this.draining) this.drained = this.drain();
  }

  /** Resolves when no client frame is being handled (the one under way, if any, has finished). */
  idle(): Promise<void> {
    return this.drained;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.inbox.length > 0 && !this.ended) {
      const allowed = this.host.mayHandle?.() ?? true;
      if (allowed !== true && !(await allowed)) break;
      if (this.ended) break;
      const [item, cost] = this.inbox.shift()!;
      await this.host.handle(this, item);
      this.memory.leftInbox(cost);
      this.handledSeq = item.s;
      this.mirror?.handled(item.s);
      this.scheduleAck();
    }
    for (const [, cost] of this.inbox) this.memory.leftInbox(cost); // left unhandled by a session that ended
    this.inbox = []; // a drained array keeps its grown storage, which an idle session should not hold
    this.draining = false;
  }

  /**
   * Sends the cumulative ack now, for a connection about to close: frames handled in this turn would
   * otherwise end with the session unacknowledged, and their senders could only guess the outcome.
   * Safe at any point: every reliable frame (an `err` or `res`) for a handled frame is already written.
   */
  flushAck(): void {
    if (this.handledSeq > 0) this.connection?.send(ackFrame(this.handledSeq));
  }

  /**
   * One cumulative ack per tick, however many frames were handled in it. At the end of the tick (not
   * the next turn of the loop) so it leaves in the same write as the frames the handling produced.
   * With a cluster record, only once the record says they were handled: a client never drops a frame
   * from its outbox that another node would not know was handled.
   */
  private scheduleAck(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    atTickEnd(ServerSession.sendScheduledAck, this);
  }

  private static sendScheduledAck(session: ServerSession): void {
    if (!session.mirror) return session.sendAck();
    void session.mirror.settled().then((held) => {
      if (held) session.sendAck();
    });
  }

  private sendAck(): void {
    this.ackScheduled = false;
    if (this.handledSeq > 0) this.sendControl(ackFrame(this.handledSeq));
  }
}
