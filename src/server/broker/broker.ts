import type { Position } from '../../protocol/frames.js';

/** One message of a channel, as the broker stores and fans it out. `json` is the payload, serialized once. */
export interface BrokerMessage {
  channel: string;
  epoch: string;
  seq: number;
  json: string;
  /** Milliseconds since the Unix epoch when the broker accepted it. */
  time: number;
}

export interface HistoryQuery {
  /** Everything after this position, or `ok: false` if the broker can no longer provide all of it. */
  after?: Position;
  /** The most recent `last` messages (fewer if the history holds fewer). */
  last?: number;
}

export type HistoryResult =
  | { ok: true; epoch: string; head: number; messages: BrokerMessage[] }
  /** The gap cannot be filled: the epoch changed, or the history no longer reaches back far enough. */
  | { ok: false; epoch: string; head: number };

export type BrokerListener = (message: BrokerMessage) => void;

/**
 * Fan-out, sequence numbers and history of channels. Asynchronous so that a shared store (Redis) can
 * implement it for many server nodes.
 *
 * Contract:
 * - `publish` assigns the next sequence number of the channel's current epoch and appends to history.
 * - Listeners of a channel receive its messages in sequence order. A listener may still see a gap
 *   (a shared store can drop pub/sub messages); the server repairs gaps from `history`.
 * - A channel's epoch changes whenever its history is lost, so positions of an old epoch are never
 *   mistaken for positions of the new one.
 */
export interface Broker {
  publish(channel: string, json: string): Promise<BrokerMessage>;
  /** Starts delivering the channel's new messages to `listener`; resolves with a function that stops it. */
  subscribe(channel: string, listener: BrokerListener): Promise<() => Promise<void>>;
  /** The channel's epoch and head, plus the messages the query asks for, oldest first. */
  history(channel: string, query: HistoryQuery): Promise<HistoryResult>;
  close(): Promise<void>;
}
