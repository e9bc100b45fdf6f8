import { createHash } from 'node:crypto';
import type { Position } from '../../protocol/frames.js';
import {
  type Broker,
  type BrokerListener,
  type BrokerMessage,
  type HistoryQuery,
  type HistoryResult,
  type SnapshotJson,
  snapshotText,
  type StateSnapshot,
} from './broker.js';
import { monotonicNow } from '../clock.js';
import { randomToken } from '../random.js';

export interface HistoryLimits {
  /** Most messages kept per channel. Default 1,000. */
  size?: number;
  /** Oldest message kept, in ms. Default 10 minutes. */
  ttl?: number;
}

export interface MemoryBrokerOptions {
  history?: HistoryLimits;
  /** The clock of history expiry, ms. Default the process's monotonic clock (a stepped wall clock neither drops nor keeps history). */
  now?: () => number;
}

interface ChannelLog {
  epoch: string;
  seq: number;
  /** Retained messages, oldest first; `start` skips trimmed entries without shifting the array each time. */
  entries: BrokerMessage[];
  start: number;
  listeners: Set<BrokerListener>;
  /** The state document as of sequence number `seq` (absent: never had state in this epoch); its JSON is made on first read. */
  state?: { seq: number; json: SnapshotJson };
  /** Last publish, subscribe or unsubscribe, ms. */
  touched: number;
}

/**
 * The default broker: one process, in memory. A restart loses all history, so every channel gets a
 * new epoch and clients that come back get an explicit reset.
 *
 * Only channels with something to keep are held: messages, state, listeners, or a sequence number
 * above 0. A channel that never had a message is dropped as soon as its last listener leaves, and
 * reading one creates nothing, so touching channel names costs no memory that stays. Such a channel
 * loses nothing when dropped, because its epoch is derived from its name (and `epochSeed`): it comes
 * back with the same epoch at sequence number 0.
 */
export class MemoryBroker implements Broker {
  private readonly channels = new Map<string, ChannelLog>();
  /**
   * Seed of the epochs of new channels. Changed whenever a channel that had messages is dropped, so
   * that channel (and any other) comes back in a new epoch: its old positions can't match the new one.
   */
  private epochSeed = randomToken(12);
  private readonly size: number;
  private readonly ttl: number;
  private readonly now: () => number;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(options: MemoryBrokerOptions = {}) {
    this.size = Math.max(0, options.history?.size ?? 1000);
    this.ttl = Math.max(0, options.history?.ttl ?? 10 * 60_000);
    this.now = options.now ?? monotonicNow;
    // Channels nobody has used for longer than the history TTL are dropped now and then.
    this.sweeper = setInterval(() => this.forgetIdle(), 60_000);
    this.sweeper.unref?.();
  }

  async publish(channel: string, json: string): Promise<BrokerMessage> {
    return this.append(channel, this.log(channel), json);
  }

  async state(channel: string): Promise<StateSnapshot> {
    const log = this.channels.get(channel) ?? this.emptyLog(channel);
    return { epoch: log.epoch, seq: log.state?.seq ?? 0, json: this.stateJson(log) };
  }

  async publishState(channel: string, json: string, snapshot: SnapshotJson, expected: Position): Promise<BrokerMessage | null> {
    const log = this.log(channel);
    if (expected[0] !== log.epoch || expected[1] !== (log.state?.seq ?? 0)) return null;
    // The snapshot is stored before listeners run, so anyone reading it after seeing the message finds it included.
    log.state = { seq: log.seq + 1, json: snapshot };
    return this.append(channel, log, json);
  }

  private append(channel: string, log: ChannelLog, json: string): BrokerMessage {
    log.touched = this.now();
    const message: BrokerMessage = { channel, epoch: log.epoch, seq: ++log.seq, json, time: this.now() };
    if (this.size > 0) log.entries.push(message);
    this.trim(log);
    // Synchronous delivery keeps publish order = delivery order without any queue.
    for (const listener of log.listeners) listener(message);
    return message;
  }

  async subscribe(channel: string, listener: BrokerListener): Promise<() => Promise<void>> {
    const log = this.log(channel);
    log.listeners.add(listener);
    log.touched = this.now();
    return async () => {
      log.listeners.delete(listener);
      log.touched = this.now();
      // Never had a message (nor state, which comes with one): nothing to keep.
      if (log.listeners.size === 0 && log.seq === 0 && this.channels.get(channel) === log) this.channels.delete(channel);
    };
  }

  /** Channels held (for stats and tests). */
  get channelCount(): number {
    return this.channels.size;
  }

  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const log = this.channels.get(channel) ?? this.emptyLog(channel);
    this.trim(log);
    const retained = log.entries.length - log.start;
    const oldest = log.seq - retained + 1; // sequence number of the oldest retained entry
    const head = { epoch: log.epoch, head: log.seq };
    if (query.after) {
      const [epoch, seq] = query.after;
      if (epoch !== log.epoch || seq > log.seq || seq < oldest - 1) return { ok: false, ...head };
      return { ok: true, ...head, messages: log.entries.slice(log.start + (seq - oldest + 1)) };
    }
    const last = Math.min(query.last ?? 0, retained);
    return { ok: true, ...head, messages: last > 0 ? log.entries.slice(log.entries.length - last) : [] };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.channels.clear();
  }

  private log(channel: string): ChannelLog {
    let log = this.channels.get(channel);
    if (!log) {
      log = this.emptyLog(channel);
      this.channels.set(channel, log);
    }
    return log;
  }

  /** The JSON of the channel's state, made once on the first read after a change. */
  private stateJson(log: ChannelLog): string {
    if (!log.state) return 'null';
    log.state.json = snapshotText(log.state.json);
    return log.state.json;
  }

  /** A channel that has never had a message (in this epoch seed), as it is before it is stored. */
  private emptyLog(channel: string): ChannelLog {
    const epoch = createHash('sha256').update(this.epochSeed).update(channel).digest('base64url').slice(0, 8);
    return { epoch, seq: 0, entries: [], start: 0, listeners: new Set(), touched: this.now() };
  }

  private trim(log: ChannelLog): void {
    const minTime = this.now() - this.ttl;
    const entries = log.entries;
    let start = Math.max(log.start, entries.length - this.size);
    while (start < entries.length && entries[start]!.time < minTime) start++;
    log.start = start;
    // Compact once the dead prefix dominates, so trimming stays O(1) amortized.
    if (start > 64 && start * 2 > entries.length) {
      log.entries = entries.slice(start);
      log.start = 0;
    }
  }

  /**
   * Drops channels with no listeners, no retained history and no use within the history TTL, so
   * channel names don't accumulate forever. Such a channel comes back with a new epoch: a client still
   * holding a position in the old one gets a reset, which is right, as its history is gone.
   */
  forgetIdle(): void {
    const idleSince = this.now() - this.ttl;
    let droppedMessages = false;
    for (const [channel, log] of this.channels) {
      this.trim(log);
      // A channel holding state is kept: its document lives only here.
      const stateless = this.stateJson(log) === 'null';
      if (log.listeners.size === 0 && log.entries.length === log.start && log.touched < idleSince && stateless) {
        this.channels.delete(channel);
        if (log.seq > 0) droppedMessages = true;
      }
    }
    if (droppedMessages) this.epochSeed = randomToken(12);
  }
}

export function memoryBroker(options?: MemoryBrokerOptions): MemoryBroker {
  return new MemoryBroker(options);
}
