import { monotonicNow } from './clock.js';
import type { ServerSession } from './session.js';

/**
 * Finds sessions whose connection does not drain: bytes written but not yet flushed to the network
 * (`Connection.pendingBytes`, a WebSocket's `bufferedAmount`) above `maxPendingBytes` for longer than
 * `maxStallTime`. Such a session is handed to `evict`, so one socket that stopped reading can neither
 * hold memory for long nor delay the others (writes never block; they would only pile up).
 *
 * Cheap on the hot path: a write costs one comparison; only sessions over the bound are watched, by
 * one timer that runs only while there are any.
 */
export class SlowConsumerGuard {
  /** Sessions over the bound, with the time they went over it. */
  private readonly over = new Map<ServerSession, number>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly maxPendingBytes: number,
    private readonly maxStallTime: number,
    private readonly evict: (session: ServerSession) => void,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** Call after writing to the session's connection. */
  wrote(session: ServerSession): void {
    if (this.over.has(session) || (session.connection?.pendingBytes ?? 0) <= this.maxPendingBytes) return;
    this.over.set(session, this.now());
    this.timer ??= setInterval(() => this.check(), Math.min(1000, Math.max(10, this.maxStallTime / 4)));
    this.timer.unref?.();
  }

  /** Sessions currently over the bound (for stats and tests). */
  get watched(): number {
    return this.over.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.over.clear();
  }

  private check(): void {
    const now = this.now();
    for (const [session, since] of this.over) {
      // A new connection (the client came back) starts with an empty backlog.
      const pending = session.ended ? 0 : (session.connection?.pendingBytes ?? 0);
      if (pending <= this.maxPendingBytes) {
        this.over.delete(session);
      } else if (now - since >= this.maxStallTime) {
        this.over.delete(session);
        this.evict(session);
      }
    }
    if (this.over.size === 0) this.close();
  }
}
