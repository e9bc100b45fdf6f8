import type { Position } from '../protocol/frames.js';
import { PushwireError } from './errors.js';

/** A client frame body before it gets its sequence number. */
export type OutboundBody =
  | { t: 'sub'; ch: string; from?: Position; rewind?: number }
  | { t: 'unsub'; ch: string }
  | { t: 'pub'; ch: string; d: unknown }
  | { t: 'msg'; d: unknown }
  | { t: 'req'; d: unknown }
  | { t: 'get'; ch: string }
  | { t: 'join'; ch: string; meta: unknown }
  | { t: 'leave'; ch: string };

export interface OutboxEntry {
  s: number;
  body_: OutboundBody;
  text_: string;
  bytes_: number;
  /** Handed to a transport at least once: the server may have handled it. */
  sent_: boolean;
  /** Settles the caller's promise: with the answer for a request, with nothing for the others. */
  resolve_?: ((value: unknown) => void) | undefined;
  reject_?: ((error: PushwireError) => void) | undefined;
}

export interface QueueLimits {
  /** Most application frames (publish/send/request) waiting for their ack. Default 1,000. */
  maxFrames?: number;
  /** Most bytes of application frames waiting for their ack. Default 1 MiB. */
  maxBytes?: number;
}

const encoder = /* @__PURE__ */ new TextEncoder();

function isAppFrame(body: OutboundBody): boolean {
  return body.t === 'pub' || body.t === 'msg' || body.t === 'req';
}

/**
 * Client frames in sequence order, from the moment they are made until the server acknowledges them.
 * Application frames count against the bounds; subscribe/unsubscribe frames never do.
 */
export class Outbox {
  entries_: OutboxEntry[] = [];
  private seq_ = 0;
  private appFrames_ = 0;
  private appBytes_ = 0;

  constructor(
    private readonly maxFrames_: number,
    private readonly maxBytes_: number,
  ) {}

  /**
   * Adds a frame. Throws `too_large` if the frame is over `maxPayload` bytes, and `queue_full` if an
   * application frame would cross a bound of the queue; either way nothing is added.
   */
  add_(body: OutboundBody, maxPayload: number, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry {
    const entry = this.number_({ s: 0, body_: body, text_: '', bytes_: 0, sent_: false, resolve_: resolve, reject_: reject });
    if (entry.bytes_ > maxPayload) {
      this.seq_--;
      throw new PushwireError('too_large', `frame of ${entry.bytes_} bytes > max payload ${maxPayload}`);
    }
    if (isAppFrame(body)) {
      if (this.appFrames_ + 1 > this.maxFrames_ || this.appBytes_ + entry.bytes_ > this.maxBytes_) {
        this.seq_--;
        throw new PushwireError('queue_full', `send queue full (${this.appFrames_} frames, ${this.appBytes_} bytes)`);
      }
      this.appFrames_++;
      this.appBytes_ += entry.bytes_;
    }
    this.entries_.push(entry);
    return entry;
  }

  /** Cumulative ack: every frame up to `s` was handled. */
  ack_(s: number): void {
    while (this.entries_.length > 0 && this.entries_[0]!.s <= s) {
      const entry = this.settle_(this.entries_.shift()!);
      // A request is settled by its answer, which the server sends before the ack covering it.
      if (entry.body_.t === 'req') entry.reject_?.(new PushwireError('internal', 'request acknowledged without an answer'));
      else entry.resolve_?.(undefined);
    }
  }

  /**
   * The server answered frame `s` (a `res`) or refused it (an `err`): it is no longer waiting. Returns
   * its entry, if it was still waiting, for the caller to settle.
   */
  take_(s: number): OutboxEntry | undefined {
    const index = this.entries_.findIndex((entry) => entry.s === s);
    return index === -1 ? undefined : this.settle_(this.entries_.splice(index, 1)[0]!);
  }

  /**
   * The caller stopped waiting for `entry` (its timeout). A frame never handed to a transport is
   * withdrawn: it will never be sent. One already sent stays until acknowledged, so it is still
   * resent after a reconnect and handled exactly once if the session survives; only its promise
   * settles now. Returns whether the entry was still waiting.
   */
  expire_(entry: OutboxEntry, error: PushwireError): boolean {
    const index = this.entries_.indexOf(entry);
    if (index === -1) return false;
    const reject = entry.reject_;
    entry.resolve_ = entry.reject_ = undefined;
    if (!entry.sent_) this.settle_(this.entries_.splice(index, 1)[0]!);
    reject?.(error);
    return true;
  }

  /** Rejects everything still waiting. */
  rejectAll_(error: PushwireError): void {
    const entries = this.entries_;
    this.entries_ = [];
    for (const entry of entries) this.settle_(entry)?.reject_?.(error);
  }

  /**
   * The session was lost. Application frames already sent may or may not have been handled, so they
   * fail with `session_lost`. The new session's frames are `leading` (subscriptions that existed
   * before anything still waiting), then each waiting frame as `rebuild` maps it (null drops it),
   * renumbered from 1.
   */
  restart_(leading: OutboundBody[], rebuild: (entry: OutboxEntry) => OutboundBody | null): void {
    const old = this.entries_;
    this.entries_ = [];
    this.seq_ = this.appFrames_ = this.appBytes_ = 0;
    for (const body of leading) this.entries_.push(this.number_({ s: 0, body_: body, text_: '', bytes_: 0, sent_: false }));
    for (const entry of old) {
      if (isAppFrame(entry.body_) && entry.sent_) {
        entry.reject_?.(new PushwireError('session_lost', 'session ended before the ack: outcome unknown'));
        continue;
      }
      const body = rebuild(entry);
      if (body === null) {
        entry.resolve_?.(undefined);
        continue;
      }
      entry.body_ = body;
      entry.sent_ = false;
      this.number_(entry);
      if (isAppFrame(body)) {
        this.appFrames_++;
        this.appBytes_ += entry.bytes_;
      }
      this.entries_.push(entry);
    }
  }

  private number_(entry: OutboxEntry): OutboxEntry {
    entry.s = ++this.seq_;
    entry.text_ = JSON.stringify({ s: entry.s, ...entry.body_ });
    entry.bytes_ = encoder.encode(entry.text_).length;
    return entry;
  }

  private settle_(entry: OutboxEntry): OutboxEntry {
    if (isAppFrame(entry.body_)) {
      this.appFrames_--;
      this.appBytes_ -= entry.bytes_;
    }
    return entry;
  }
}
