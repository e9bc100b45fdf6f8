import { monotonicNow } from './clock.js';
import type { ServerSession } from './session.js';

/** Why a session was found to be a slow consumer. */
export type SlowConsumerKind =
  | 'drain' // its connection's writes did not drain
  | 'receipts'; // its receipts did not advance while it held unacknowledged frames

export interface SlowConsumerBounds {
  /** Bytes over which a backlog (unflushed writes, or unacknowledged frames) is watched. */
  maxPendingBytes: number;
  /** How long unflushed writes may stay over the bound, ms. */
  maxStallTime: number;
  /** How long a connected session over the bound in unacknowledged frames may go without a receipt advancing, ms. */
  maxReceiptStall: number;
}

/** A session whose receipts are watched: when it went over the bound, and its receipt count then. */
interface ReceiptWatch {
  since: number;
  acked: number;
}

/**
 * Finds sessions that make the server hold memory for a client that does not take it:
 * - a connection that does not drain: bytes written but not yet flushed to the network
 *   (`Connection.pendingBytes`, a WebSocket's `bufferedAmount`) above `maxPendingBytes` for longer
 *   than `maxStallTime`;
 * - a client that reads but does not acknowledge: a connected session holding more than
 *   `maxPendingBytes` of unacknowledged frames whose receipts do not advance for `maxReceiptStall`.
 * Such a session is handed to `evict`, so one client can neither hold memory for long nor delay the
 * others (writes never block; they would only pile up).
 *
 * Cheap on the hot path: a write costs two comparisons; only sessions over the bound are watched, by
 * one timer that runs only while there are any.
 */
export class SlowConsumerGuard {
  /** Sessions whose writes are over the bound, with the time they went over it. */
  private readonly over = new Map<ServerSession, number>();
  /** Sessions whose unacknowledged frames are over the bound. */
  private readonly unacked = new Map<ServerSession, ReceiptWatch>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly bounds: SlowConsumerBounds,
    private readonly evict: (session: ServerSession, kind: SlowConsumerKind) => void,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** Call after writing to the session's connection. */
  wrote(session: ServerSession): void {
    const max = this.bounds.maxPendingBytes;
    // The comparisons first: a healthy session (nearly every write) costs no map lookup.
    if ((session.connection?.pendingBytes ?? 0) > max && !this.over.has(session)) {
      this.over.set(session, this.now());
      this.startTimer();
    }
    if (session.out.bytes > max && !this.unacked.has(session)) {
      this.unacked.set(session, { since: this.now(), acked: session.out.acked });
      this.startTimer();
    }
  }

  /** Sessions currently over the bound (for stats and tests). */
  get watched(): number {
    return this.over.size + this.unacked.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.over.clear();
    this.unacked.clear();
  }

  private startTimer(): void {
    if (this.timer) return;
    const period = Math.min(1000, Math.max(10, Math.min(this.bounds.maxStallTime, this.bounds.maxReceiptStall) / 4));
    this.timer = setInterval(() => this.check(), period);
    this.timer.unref?.();
  }

  private check(): void {
    const now = this.now();
    for (const [session, since] of this.over) {
      // A new connection (the client came back) starts with an empty backlog.
      const pending = session.ended ? 0 : (session.connection?.pendingBytes ?? 0);
      if (pending <= this.bounds.maxPendingBytes) {
        this.over.delete(session);
      } else if (now - since >= this.bounds.maxStallTime) {
        this.over.delete(session);
        this.unacked.delete(session);
        this.evict(session, 'drain');
      }
    }
    for (const [session, watch] of this.unacked) {
      // A session without a connection can't acknowledge: the session TTL bounds that wait.
      if (session.ended || !session.connection || session.out.bytes <= this.bounds.maxPendingBytes) {
        this.unacked.delete(session);
      } else if (session.out.acked !== watch.acked) {
        watch.acked = session.out.acked;
        watch.since = now;
      } else if (now - watch.since >= this.bounds.maxReceiptStall) {
        this.unacked.delete(session);
        this.evict(session, 'receipts');
      }
    }
    if (this.watched === 0) this.close();
  }
}
