import type { Position } from '../protocol/frames.js';
import { PushwireError, unanswered } from './errors.js';
import { utf8Length } from './utf8.js';

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
  /** Settles the caller's promise: with the answer for a request or a state `get`, with nothing for the others. */
  resolve_?: ((value: unknown) => void) | undefined;
  reject_?: ((error: PushwireError) => void) | undefined;
  /** A state `get`'s snapshot, kept until the ack (which settles the get with it). */
  answer_?: unknown;
}

export interface QueueLimits {
  /** Most application frames (publish/send/request) waiting for their ack. Default 1,000. */
  maxFrames?: number;
  /** Most bytes of application frames waiting for their ack. Default 1 MiB. */
  maxBytes?: number;
}

export interface Outbox {
  /** The frames waiting, in sequence order. */
  readonly entries_: OutboxEntry[];
  /**
   * Adds a frame. Throws `too_large` if the frame is over `maxPayload` bytes, and `queue_full` if an
   * application frame would cross a bound of the queue; either way nothing is added.
   */
  add_(body: OutboundBody, maxPayload: number, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry;
  /** Cumulative ack: every frame up to `s` was handled. */
  ack_(s: number): void;
  /**
   * The server answered frame `s` (a `res`) or refused it (an `err`): it is no longer waiting. Returns
   * its entry, if it was still waiting, for the caller to settle.
   */
  take_(s: number): OutboxEntry | undefined;
  /**
   * The caller stopped waiting for `entry` (its timeout). A frame never handed to a transport is
   * withdrawn: it will never be sent. One already sent stays until acknowledged, so it is still
   * resent after a reconnect and handled exactly once if the session survives; only its promise
   * settles now.
   */
  expire_(entry: OutboxEntry, error: PushwireError): void;
  /** Rejects everything still waiting. */
  rejectAll_(error: PushwireError): void;
  /**
   * The session was lost. Application frames already sent may or may not have been handled, so they
   * fail with `session_lost`. The new session's frames are `leading` (subscriptions that existed
   * before anything still waiting), then each waiting frame as `rebuild` maps it (null drops it),
   * renumbered from 1.
   */
  restart_(leading: OutboundBody[], rebuild: (entry: OutboxEntry) => OutboundBody | null): void;
}

const isAppFrame = ({ t }: OutboundBody): boolean => t === 'pub' || t === 'msg' || t === 'req';

/**
 * Client frames in sequence order, from the moment they are made until the server acknowledges them.
 * Application frames count against the bounds (`maxFrames`, `maxBytes`); subscribe/unsubscribe frames
 * never do.
 */
export function createOutbox(maxFrames: number, maxBytes: number): Outbox {
  const entries: OutboxEntry[] = [];
  let seq = 0;
  let appFrames = 0;
  let appBytes = 0;

  /** Counts an application frame in (1) or out (-1) of the bounds. */
  const count = (entry: OutboxEntry, sign: number): OutboxEntry => {
    if (isAppFrame(entry.body_)) {
      appFrames += sign;
      appBytes += sign * entry.bytes_;
    }
    return entry;
  };
  const number = (entry: OutboxEntry): OutboxEntry => {
    entry.s = ++seq;
    entry.text_ = JSON.stringify({ s: entry.s, ...entry.body_ });
    entry.bytes_ = utf8Length(entry.text_);
    return entry;
  };
  const newEntry = (body: OutboundBody, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry =>
    number({ s: 0, body_: body, text_: '', bytes_: 0, sent_: false, resolve_: resolve, reject_: reject });
  const remove = (index: number): OutboxEntry | undefined => (index < 0 ? undefined : count(entries.splice(index, 1)[0]!, -1));

  return {
    entries_: entries,
    add_(body, maxPayload, resolve, reject) {
      const entry = newEntry(body, resolve, reject);
      const error =
        entry.bytes_ > maxPayload
          ? new PushwireError('too_large', `frame of ${entry.bytes_} bytes > max payload ${maxPayload}`)
          : isAppFrame(body) && (appFrames + 1 > maxFrames || appBytes + entry.bytes_ > maxBytes)
            ? new PushwireError('queue_full', `send queue full (${appFrames} frames, ${appBytes} bytes)`)
            : null;
      if (error) {
        seq--;
        throw error;
      }
      entries.push(count(entry, 1));
      return entry;
    },
    ack_(s) {
      while (entries[0] && entries[0].s <= s) {
        const entry = remove(0)!;
        const { t } = entry.body_;
        // A request is settled by its answer (a `res`), a state `get` here with its snapshot: the server
        // sends either before the ack covering the frame.
        if ((t === 'req' || t === 'get') && !entry.answer_) entry.reject_?.(unanswered());
        else entry.resolve_?.(entry.answer_);
      }
    },
    take_: (s) => remove(entries.findIndex((entry) => entry.s === s)),
    expire_(entry, error) {
      const index = entries.indexOf(entry);
      if (index < 0) return;
      const reject = entry.reject_;
      entry.resolve_ = undefined;
      entry.reject_ = undefined;
      if (!entry.sent_) remove(index);
      reject?.(error);
    },
    rejectAll_(error) {
      for (const entry of entries.splice(0)) count(entry, -1).reject_?.(error);
    },
    restart_(leading, rebuild) {
      const old = entries.splice(0);
      seq = 0;
      appFrames = 0;
      appBytes = 0;
      for (const body of leading) entries.push(newEntry(body));
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
        entry.answer_ = undefined;
        entries.push(count(number(entry), 1));
      }
    },
  };
}
