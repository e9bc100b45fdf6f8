import type { OutFrame } from './out-frame.js';

export interface OutboundLimits {
  /** Most unacknowledged frames kept per session. Default 5,000. */
  maxFrames?: number;
  /** Most bytes of unacknowledged frames kept per session. Default 4 MiB. */
  maxBytes?: number;
}

/** Told of every frame a buffer starts and stops holding (the memory budget's account of its session). */
export interface FrameLedger {
  hold(frame: OutFrame): void;
  release(frame: OutFrame): void;
}

const UNCOUNTED: FrameLedger = { hold: () => {}, release: () => {} };

/**
 * Unacknowledged bytes past which a session asks its client for a receipt (docs/PROTOCOL.md, **SC6**).
 * A broadcast frame is held once for all its subscribers, so below this a session's share of what the
 * server holds is a slot per frame: not worth a receipt.
 */
const RECEIPT_REQUEST_BYTES = 64 * 1024;

/**
 * The reliable frames a session sent and the client has not acknowledged yet, numbered 1, 2, 3…
 * Bounded by count and bytes: `push` refuses a frame that would cross either bound, and the session
 * is then evicted (the client resumes its channels from history, or resets).
 */
export class OutboundBuffer {
  /** Number of the last frame pushed. */
  total = 0;
  bytes = 0;
  private frames: (OutFrame | undefined)[] = [];
  /** Index in `frames` of the oldest unacknowledged frame; earlier slots are emptied (an acknowledged frame is not kept alive uncounted). */
  private head = 0;
  /** Frames and bytes from which the buffer wants a receipt: a quarter of its bounds, at most RECEIPT_REQUEST_BYTES. */
  private readonly receiptFrames: number;
  private readonly receiptBytes: number;

  constructor(
    private readonly maxFrames: number,
    private readonly maxBytes: number,
    private readonly ledger: FrameLedger = UNCOUNTED,
  ) {
    this.receiptFrames = Math.max(1, Math.floor(maxFrames / 4));
    this.receiptBytes = Math.min(RECEIPT_REQUEST_BYTES, maxBytes / 4);
  }

  /** Whether it holds enough that a receipt is worth asking for (a quarter of a bound, or 64 KiB). */
  get wantsReceipt(): boolean {
    return this.size >= this.receiptFrames || this.bytes >= this.receiptBytes;
  }

  /** Number of the oldest frame still kept, minus one: everything up to it was acknowledged. */
  get acked(): number {
    return this.total - (this.frames.length - this.head);
  }

  get size(): number {
    return this.frames.length - this.head;
  }

  /**
   * Whether a replay of `frames` frames and `bytes` bytes fits in the half of the buffer a replay may
   * take, leaving the other half for live traffic while the client catches up.
   */
  fitsReplay(frames: number, bytes: number): boolean {
    return this.size + frames <= this.maxFrames / 2 && this.bytes + bytes <= this.maxBytes / 2;
  }

  push(frame: OutFrame): boolean {
    if (this.size >= this.maxFrames || this.bytes + frame.bytes > this.maxBytes) return false;
    this.frames.push(frame);
    this.total++;
    this.bytes += frame.bytes;
    this.ledger.hold(frame);
    return true;
  }

  /** The client received frames up to `n`. Ignores numbers outside what was sent. */
  ack(n: number): void {
    if (n <= this.acked || n > this.total) return;
    let drop = n - this.acked;
    while (drop-- > 0) {
      const frame = this.frames[this.head]!;
      this.frames[this.head++] = undefined;
      this.bytes -= frame.bytes;
      this.ledger.release(frame);
    }
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }

  /** Whether every frame after `n` is still here to be replayed. */
  canReplayFrom(n: number): boolean {
    return n >= this.acked && n <= this.total;
  }

  /** Frames after `n`, for a resume (empty if they can no longer all be replayed: check canReplayFrom). */
  since(n: number): OutFrame[] {
    return this.canReplayFrom(n) ? (this.frames.slice(this.head + (n - this.acked)) as OutFrame[]) : [];
  }

  clear(): void {
    for (let i = this.head; i < this.frames.length; i++) this.ledger.release(this.frames[i]!);
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
  }
}
