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
  body: OutboundBody;
  text: string;
  bytes: number;
  /** Handed to a transport at least once: the server may have handled it. */
  sent: boolean;
  /** Settles the caller's promise: with the answer for a request, with nothing for the others. */
  resolve?: ((value: unknown) => void) | undefined;
  reject?: ((error: PushwireError) => void) | undefined;
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
  entries: OutboxEntry[] = [];
  private seq = 0;
  private appFrames = 0;
  private appBytes = 0;

  constructor(
    private readonly maxFrames: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Adds a frame. Throws `too_large` if the frame is over `maxPayload` bytes, and `queue_full` if an
   * application frame would cross a bound of the queue; either way nothing is added.
   */
  add(body: OutboundBody, maxPayload: number, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry {
    const entry = this.number({ s: 0, body, text: '', bytes: 0, sent: false, resolve, reject });
    if (entry.bytes > maxPayload) {
      this.seq--;
      throw new PushwireError('too_large', `frame of ${entry.bytes} bytes exceeds the max payload of ${maxPayload} bytes`);
    }
    if (isAppFrame(body)) {
      if (this.appFrames + 1 > this.maxFrames || this.appBytes + entry.bytes > this.maxBytes) {
        this.seq--;
        throw new PushwireError('queue_full', `send queue is full (${this.appFrames} frames, ${this.appBytes} bytes waiting)`);
      }
      this.appFrames++;
      this.appBytes += entry.bytes;
    }
    this.entries.push(entry);
    return entry;
  }

  /** Cumulative ack: every frame up to `s` was handled. */
  ack(s: number): void {
    while (this.entries.length > 0 && this.entries[0]!.s <= s) {
      const entry = this.settle(this.entries.shift()!);
      // A request is settled by its answer, which the server sends before the ack covering it.
      if (entry.body.t === 'req') entry.reject?.(new PushwireError('internal', 'the server acknowledged the request without answering it'));
      else entry.resolve?.(undefined);
    }
  }

  /** The server answered request `s`. */
  answer(s: number, data: unknown): void {
    const index = this.entries.findIndex((entry) => entry.s === s);
    if (index === -1) return;
    const [entry] = this.entries.splice(index, 1);
    this.settle(entry!).resolve?.(data);
  }

  /**
   * The caller stopped waiting for `entry` (its timeout). A frame never handed to a transport is
   * withdrawn: it will never be sent. One already sent stays until acknowledged, so it is still
   * resent after a reconnect and handled exactly once if the session survives; only its promise
   * settles now. Returns whether the entry was still waiting.
   */
  expire(entry: OutboxEntry, error: PushwireError): boolean {
    const index = this.entries.indexOf(entry);
    if (index === -1) return false;
    const reject = entry.reject;
    entry.resolve = entry.reject = undefined;
    if (!entry.sent) this.settle(this.entries.splice(index, 1)[0]!);
    reject?.(error);
    return true;
  }

  /** The server refused frame `s`. Returns its entry, if it was still waiting. */
  refuse(s: number, error: PushwireError): OutboxEntry | undefined {
    const index = this.entries.findIndex((entry) => entry.s === s);
    if (index === -1) return undefined;
    const [entry] = this.entries.splice(index, 1);
    this.settle(entry!)?.reject?.(error);
    return entry;
  }

  /** Rejects everything still waiting. */
  rejectAll(error: PushwireError): void {
    const entries = this.entries;
    this.entries = [];
    for (const entry of entries) this.settle(entry)?.reject?.(error);
  }

  /**
   * The session was lost. Application frames already sent may or may not have been handled, so they
   * fail with `session_lost`. The new session's frames are `leading` (subscriptions that existed
   * before anything still waiting), then each waiting frame as `rebuild` maps it (null drops it),
   * renumbered from 1.
   */
  restart(leading: OutboundBody[], rebuild: (entry: OutboxEntry) => OutboundBody | null): void {
    const old = this.entries;
    this.entries = [];
    this.seq = this.appFrames = this.appBytes = 0;
    for (const body of leading) this.entries.push(this.number({ s: 0, body, text: '', bytes: 0, sent: false }));
    for (const entry of old) {
      if (isAppFrame(entry.body) && entry.sent) {
        entry.reject?.(new PushwireError('session_lost', 'the session ended before this frame was acknowledged; it may or may not have been handled'));
        continue;
      }
      const body = rebuild(entry);
      if (body === null) {
        entry.resolve?.(undefined);
        continue;
      }
      entry.body = body;
      entry.sent = false;
      this.number(entry);
      if (isAppFrame(body)) {
        this.appFrames++;
        this.appBytes += entry.bytes;
      }
      this.entries.push(entry);
    }
  }

  private number(entry: OutboxEntry): OutboxEntry {
    entry.s = ++this.seq;
    entry.text = JSON.stringify({ s: entry.s, ...entry.body });
    entry.bytes = encoder.encode(entry.text).length;
    return entry;
  }

  private settle(entry: OutboxEntry): OutboxEntry {
    if (isAppFrame(entry.body)) {
      this.appFrames--;
      this.appBytes -= entry.bytes;
    }
    return entry;
  }
}
