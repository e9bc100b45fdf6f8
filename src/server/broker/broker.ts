import type { Position } from '../../protocol/frames.js';
import type { ClusterLink } from '../cluster/cluster-link.js';

/** One message of a channel, as the broker stores and fans it out. `json` is the payload, serialized once. */
export interface BrokerMessage {
  channel: string;
  epoch: string;
  seq: number;
  json: string;
  /**
   * When the broker accepted it, ms on the broker's clock, for history expiry: Redis's clock for the
   * Redis broker (shared by every node), the process's monotonic clock for the in-memory broker.
   */
  time: number;
}

/**
 * A state snapshot's JSON, or a function that makes it. A broker that keeps snapshots in its own
 * process calls the function only when the snapshot is read, so a change to a large document (a
 * presence update in a big room) costs the change, not a serialization of the whole document.
 */
export type SnapshotJson = string | (() => string);

/** The JSON of a SnapshotJson, made now. */
export function snapshotText(snapshot: SnapshotJson): string {
  return typeof snapshot === 'string' ? snapshot : snapshot();
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

/** Who published a client frame: its session and the frame's sequence number in that session. */
export interface PublishOrigin {
  session: string;
  seq: number;
  /** How long to remember the pair, ms (at least as long as the session can be resumed). */
  ttl: number;
}

/** A publish that a retry with the same key must not repeat (the HTTP API's `Idempotency-Key`). */
export interface IdempotencyKey {
  /** The application's key; scoped to the channel published to. */
  key: string;
  /** A hash of what is published: a retry that reuses the key for something else is refused. */
  fingerprint: string;
  /** How long the key is remembered after its first use, ms. */
  ttl: number;
}

/** Where an idempotent publish landed: now, or (`duplicate`) the first time its key was used. */
export interface IdempotentPublish {
  epoch: string;
  seq: number;
  duplicate: boolean;
  /** The fingerprint stored with the key (a duplicate's may differ from the retry's). */
  fingerprint: string;
}

export type BrokerListener = (message: BrokerMessage) => void;

/** A channel's state document as of a sequence number (see docs/SYNCED-STATE.md). */
export interface StateSnapshot {
  epoch: string;
  /** Sequence number of the last state change it contains (0: none in this epoch). */
  seq: number;
  /** The document as JSON; `null` when the channel has no state. */
  json: string;
}

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
 * - A channel's state snapshot lives and dies with its epoch: a channel whose state is not `null` is
 *   never forgotten for being idle.
 */
export interface Broker {
  publish(channel: string, json: string): Promise<BrokerMessage>;
  /**
   * A shared broker's `publish` of a client frame that other nodes may see resent: publishes unless
   * the same origin (or a later frame of its session) was already published to the channel. Resolves
   * whether it published. Brokers of a single node leave it out.
   */
  publishOnce?(channel: string, json: string, origin: PublishOrigin): Promise<boolean>;
  /**
   * A shared broker's `publish` that remembers `key` for `key.ttl` ms in the shared store, atomically
   * with the message: a publish with the same key and channel within that time publishes nothing and
   * resolves the first one's position, whichever node it reaches. Brokers of a single node leave it
   * out (the server then remembers keys in its own process).
   */
  publishIdempotent?(channel: string, json: string, key: IdempotencyKey): Promise<IdempotentPublish>;
  /** Starts delivering the channel's new messages to `listener`; resolves with a function that stops it. */
  subscribe(channel: string, listener: BrokerListener): Promise<() => Promise<void>>;
  /** The channel's epoch and head, plus the messages the query asks for, oldest first. */
  history(channel: string, query: HistoryQuery): Promise<HistoryResult>;
  /**
   * The channel's state snapshot. It contains every state change published up to the channel's head
   * at the moment it is read (a client relies on this to skip diffs it already has).
   */
  state(channel: string): Promise<StateSnapshot>;
  /**
   * Compare-and-set for state channels: if the channel's snapshot is still at `expected` ([epoch, seq]
   * of the snapshot the change was computed from), publishes `json` (the change, as a message) and
   * stores `snapshotJson` as the snapshot at that message's sequence number, as one atomic step.
   * Resolves null without doing anything if the snapshot has moved on (another writer won; re-read
   * and retry). A snapshot of `null` is kept as a tombstone with its sequence number.
   */
  publishState(channel: string, json: string, snapshot: SnapshotJson, expected: Position): Promise<BrokerMessage | null>;
  /** For a store shared by several nodes: one link per server node (see cluster/cluster-link.ts). */
  cluster?(): ClusterLink;
  close(): Promise<void>;
}
