import type { Redis, RedisOptions } from 'ioredis';
import type { Position } from '../../protocol/frames.js';
import {
  type Broker,
  type BrokerListener,
  type BrokerMessage,
  type HistoryQuery,
  type HistoryResult,
  type IdempotencyKey,
  type IdempotentPublish,
  type PublishOrigin,
  type SnapshotJson,
  snapshotText,
  type StateSnapshot,
} from './broker.js';
import type { HistoryLimits } from './memory.js';
import { randomToken } from '../random.js';
import { assertInstalled } from '../optional-dependency.js';
import type { ClusterLink } from '../cluster/cluster-link.js';
import { type RedisClients, RedisClusterLink } from '../cluster/redis-cluster-link.js';

export interface RedisBrokerOptions {
  /** Redis URL. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Extra ioredis options. */
  redis?: RedisConnectionOptions;
  /** Prefix of every key and pub/sub channel this broker uses. Default `pw:`. */
  prefix?: string;
  history?: HistoryLimits;
  /** A channel not published to for this long loses its keys (and so its epoch), ms. Default 24 h. */
  idleTtl?: number;
  /** A server node that has not sent a heartbeat for this long is dead (its sessions move, its presence goes), ms. Default 10,000. */
  nodeTimeout?: number;
}

/**
 * ioredis connection options (`password`, `db`, `tls`…), handed to it as they are. Declared here so
 * that the package's types don't import ioredis, an optional dependency.
 */
export interface RedisConnectionOptions {
  username?: string;
  password?: string;
  db?: number;
  tls?: object;
  connectTimeout?: number;
  [option: string]: unknown;
}

/** Lua, shared by the publish scripts: the channel's epoch, created if the channel is new (or Redis lost it). */
const EPOCH = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[1], epoch) end
`;

/**
 * Lua, shared by the publish scripts: the next sequence number and its history entry (a stream entry
 * with id `<seq>-0`, so ids are the sequence numbers and XRANGE replays by them).
 */
const APPEND = `
local seq = redis.call('INCR', KEYS[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[3]) > 0 then
  redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[3], seq .. '-0', 'd', ARGV[2], 't', now)
end
`;

/** Lua, shared by the publish scripts: the fan-out to every node, and the script's answer. */
const FAN_OUT = `
redis.call('PUBLISH', ARGV[4], epoch .. '\\n' .. seq .. '\\n' .. now .. '\\n' .. ARGV[2])
return {epoch, seq, now}
`;

/** Lua, shared by the publish scripts: key expiry (a channel holding state keeps its epoch and sequence). */
const EXPIRE = `
local state = redis.call('HGET', KEYS[4], 'd')
if state and state ~= 'null' then redis.call('PEXPIRE', KEYS[3], ARGV[5])
else for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end end
`;

/** Atomically: epoch, sequence number, history entry, key expiry and fan-out of one message. */
const PUBLISH = `${EPOCH}${APPEND}${EXPIRE}${FAN_OUT}`;

/**
 * PUBLISH for a client's frame, at most once: KEYS[5] holds the highest client sequence number of
 * ARGV[6]'s session published to this channel, so the same frame resent to another node after its
 * first node died (published, but not acknowledged) is not published twice.
 */
const PUBLISH_ONCE = `
local last = redis.call('GET', KEYS[5])
if last and tonumber(last) >= tonumber(ARGV[6]) then return false end
${EPOCH}${APPEND}${EXPIRE}redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[7])
${FAN_OUT}`;

/**
 * PUBLISH under an idempotency key: KEYS[5] holds "epoch\nseq\nfingerprint" of the first publish
 * with the key, for ARGV[7] ms. While it exists the script publishes nothing and answers it instead.
 */
const PUBLISH_IDEMPOTENT = `
local first = redis.call('GET', KEYS[5])
if first then return {first} end
${EPOCH}${APPEND}${EXPIRE}redis.call('SET', KEYS[5], epoch .. '\\n' .. seq .. '\\n' .. ARGV[6], 'PX', ARGV[7])
${FAN_OUT}`;

/**
 * A channel's state snapshot lives in a hash {e: epoch, q: seq, d: json} next to its other keys. A
 * snapshot of another epoch (the epoch key expired or Redis lost it) counts as no state.
 */
const STATE = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[1], epoch, 'PX', ARGV[2]) end
local s = redis.call('HMGET', KEYS[4], 'e', 'q', 'd')
if s[1] ~= epoch then return {epoch, 0, 'null'} end
return {epoch, tonumber(s[2]), s[3]}
`;

/**
 * Compare-and-set publish of a state change: only if the snapshot is still at [ARGV[7], ARGV[8]], the
 * change is published like PUBLISH does and the new snapshot stored, in one step. A channel holding
 * state never expires (its document exists nowhere else); one whose state is null expires as usual.
 */
const PUBLISH_STATE = `${EPOCH}local s = redis.call('HMGET', KEYS[4], 'e', 'q')
local current = 0
if s[1] == epoch then current = tonumber(s[2]) end
if epoch ~= ARGV[7] or current ~= tonumber(ARGV[8]) then return false end
${APPEND}redis.call('HSET', KEYS[4], 'e', epoch, 'q', seq, 'd', ARGV[6])
if ARGV[6] == 'null' then
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
else
  for _, i in ipairs({1, 2, 4}) do redis.call('PERSIST', KEYS[i]) end
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
end
${FAN_OUT}`;

/** The channel's epoch (created if new) and head, plus the entries after a sequence number or the last N. */
const HISTORY = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then epoch = ARGV[1]; redis.call('SET', KEYS[1], epoch, 'PX', ARGV[4]) end
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
local entries = {}
if ARGV[2] == 'after' then
  local q = tonumber(ARGV[3])
  if q < head then entries = redis.call('XRANGE', KEYS[3], (q + 1) .. '-0', '+') end
elseif ARGV[2] == 'last' and tonumber(ARGV[3]) > 0 then
  entries = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', ARGV[3])
end
return {epoch, head, entries}
`;

type StreamEntry = [id: string, fields: string[]];

/**
 * A broker on Redis for several server nodes: sequence numbers and epochs in plain keys, history in a
 * Redis Stream per channel (trimmed by count on write and by age on read), fan-out through pub/sub.
 * Pub/sub drops messages while a node reconnects to Redis; the broker then replays what its listeners
 * missed from the stream, and the server repairs any other gap from history. A Redis restart without
 * persistence loses the epochs, so clients get explicit resets.
 */
export class RedisBroker implements Broker {
  private readonly prefix: string;
  private readonly size: number;
  private readonly ttl: number;
  private readonly idleTtl: number;
  private readonly nodeTimeout: number;
  private readonly listeners = new Map<string, Set<BrokerListener>>();
  /** Last message delivered to this node's listeners, per channel: where to replay from after a reconnect. */
  private readonly delivered = new Map<string, { epoch: string; seq: number }>();
  private clients: Promise<RedisClients> | undefined;

  constructor(private readonly options: RedisBrokerOptions = {}) {
    assertInstalled('ioredis', 'the Redis broker');
    this.prefix = options.prefix ?? 'pw:';
    this.size = Math.max(0, options.history?.size ?? 1000);
    this.ttl = Math.max(0, options.history?.ttl ?? 10 * 60_000);
    this.idleTtl = Math.max(1, options.idleTtl ?? 24 * 60 * 60_000);
    this.nodeTimeout = Math.max(100, options.nodeTimeout ?? 10_000);
  }

  /** A link for one server node: shared session records, calls between nodes, node liveness. */
  cluster(): ClusterLink {
    return new RedisClusterLink(() => this.connect(), this.prefix, this.nodeTimeout);
  }

  async publish(channel: string, json: string): Promise<BrokerMessage> {
    const { commands } = await this.connect();
    const [epoch, seq, time] = (await commands.eval(PUBLISH, 4, ...this.publishArgs(channel, json))) as [string, number, number];
    return { channel, epoch, seq, json, time };
  }

  async publishOnce(channel: string, json: string, origin: PublishOrigin): Promise<boolean> {
    const { commands } = await this.connect();
    const keys = this.keys(channel);
    const dedup = `${this.prefix}d:{${channel}}:${origin.session}`;
    const result = await commands.eval(PUBLISH_ONCE, 5, ...keys, dedup, ...this.publishValues(channel, json), origin.seq, origin.ttl);
    return result !== null;
  }

  async publishIdempotent(channel: string, json: string, key: IdempotencyKey): Promise<IdempotentPublish> {
    const { commands } = await this.connect();
    const stored = `${this.prefix}i:{${channel}}:${key.key}`;
    const args = [...this.keys(channel), stored, ...this.publishValues(channel, json), key.fingerprint, key.ttl];
    const result = (await commands.eval(PUBLISH_IDEMPOTENT, 5, ...args)) as [string] | [string, number, number];
    if (result.length === 3) return { epoch: result[0], seq: result[1], duplicate: false, fingerprint: key.fingerprint };
    const [epoch, seq, fingerprint] = result[0].split('\n') as [string, string, string];
    return { epoch, seq: Number(seq), duplicate: true, fingerprint };
  }

  async subscribe(channel: string, listener: BrokerListener): Promise<() => Promise<void>> {
    const { subscriber } = await this.connect();
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await subscriber.subscribe(this.topic(channel));
    }
    set.add(listener);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      this.delivered.delete(channel);
      await subscriber.unsubscribe(this.topic(channel)).catch(() => {});
    };
  }

  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const { commands } = await this.connect();
    const mode = query.after ? 'after' : query.last ? 'last' : 'head';
    const arg = query.after ? query.after[1] : (query.last ?? 0);
    const [epoch, head, raw] = (await commands.eval(HISTORY, 4, ...this.keys(channel), randomToken(6), mode, arg, this.idleTtl)) as [
      string,
      number,
      StreamEntry[],
    ];
    const minTime = Date.now() - this.ttl;
    const entries = raw.map((entry) => this.message(channel, epoch, entry));
    if (query.after) {
      const [wantedEpoch, seq] = query.after;
      if (wantedEpoch !== epoch || seq > head) return { ok: false, epoch, head };
      // Complete only if it starts right after `seq`, has no hole, and nothing in it has aged out.
      const complete =
        entries.length === head - seq && (entries.length === 0 || (entries[0]!.seq === seq + 1 && entries[0]!.time >= minTime));
      return complete ? { ok: true, epoch, head, messages: entries } : { ok: false, epoch, head };
    }
    return { ok: true, epoch, head, messages: entries.reverse().filter((message) => message.time >= minTime) };
  }

  async state(channel: string): Promise<StateSnapshot> {
    const { commands } = await this.connect();
    const [epoch, seq, json] = (await commands.eval(STATE, 4, ...this.keys(channel), randomToken(6), this.idleTtl)) as [
      string,
      number,
      string,
    ];
    return { epoch, seq, json };
  }

  async publishState(channel: string, json: string, snapshot: SnapshotJson, expected: Position): Promise<BrokerMessage | null> {
    const { commands } = await this.connect();
    const result = (await commands.eval(
      PUBLISH_STATE,
      4,
      ...this.publishArgs(channel, json),
      snapshotText(snapshot),
      expected[0],
      expected[1],
    )) as [string, number, number] | null;
    if (!result) return null;
    const [epoch, seq, time] = result;
    return { channel, epoch, seq, json, time };
  }

  async close(): Promise<void> {
    const clients = this.clients;
    this.clients = undefined;
    this.listeners.clear();
    if (!clients) return;
    const { commands, subscriber } = await clients;
    commands.disconnect();
    subscriber.disconnect();
  }

  private connect(): Promise<RedisClients> {
    this.clients ??= (async () => {
      // ioredis is an optional peer dependency: loaded only by applications that use this broker.
      const { Redis } = await import('ioredis');
      const url = this.options.url ?? 'redis://127.0.0.1:6379';
      const settings: RedisOptions = { maxRetriesPerRequest: null, ...(this.options.redis as RedisOptions | undefined) };
      const commands = new Redis(url, settings);
      const subscriber = new Redis(url, settings);
      subscriber.on('message', (topic: string, payload: string) => this.onPubSub(topic, payload));
      let ready = false;
      subscriber.on('ready', () => {
        if (ready) void this.catchUp(subscriber); // a reconnect: pub/sub dropped whatever was published meanwhile
        ready = true;
      });
      // Errors surface on the commands that fail; ioredis keeps reconnecting meanwhile.
      commands.on('error', () => {});
      subscriber.on('error', () => {});
      await Promise.all([commands.ping(), subscriber.ping()]);
      return { commands, subscriber };
    })();
    return this.clients;
  }

  private onPubSub(topic: string, payload: string): void {
    if (!topic.startsWith(this.topic(''))) return; // a call between nodes (cluster/redis-cluster-link.ts)
    const channel = topic.slice(this.prefix.length + 2);
    const [epoch, seq, time] = payload.split('\n', 3) as [string, string, string];
    const json = payload.slice(epoch.length + seq.length + time.length + 3);
    this.deliver({ channel, epoch, seq: Number(seq), json, time: Number(time) });
  }

  private deliver(message: BrokerMessage): void {
    const set = this.listeners.get(message.channel);
    if (!set) return;
    this.delivered.set(message.channel, { epoch: message.epoch, seq: message.seq });
    for (const listener of set) listener(message);
  }

  /**
   * After reconnecting to Redis, replays to local listeners what pub/sub lost while the link was down:
   * for every channel with listeners, not only those that have delivered something here.
   */
  private async catchUp(subscriber: Redis): Promise<void> {
    try {
      // Commands on one connection run in order: once this answers, ioredis's re-subscriptions (sent
      // before the 'ready' event reached us) are in place, so nothing published from now on is missed.
      await subscriber.ping();
    } catch {
      return; // Redis went away again; the next reconnect catches up.
    }
    for (const channel of [...this.listeners.keys()]) {
      try {
        const last = this.delivered.get(channel);
        const missed = last ? await this.history(channel, { after: [last.epoch, last.seq] }) : undefined;
        // Where nothing was delivered here yet, or history can't bridge the gap (e.g. Redis lost its
        // data), hand on the newest message: the server's channel hub skips it if it has it, repairs
        // the gap before it from history, or sees the new epoch and resets its subscribers explicitly.
        const result = missed?.ok ? missed : await this.history(channel, { last: 1 });
        if (result.ok) for (const message of result.messages) this.deliver(message);
      } catch {
        // Redis went away again; the next reconnect catches up.
      }
    }
  }

  private message(channel: string, epoch: string, [id, fields]: StreamEntry): BrokerMessage {
    let json = 'null';
    let time = 0;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'd') json = fields[i + 1]!;
      else if (fields[i] === 't') time = Number(fields[i + 1]);
    }
    return { channel, epoch, seq: Number(id.slice(0, id.indexOf('-'))), json, time };
  }

  /** What the publish scripts take: the keys, an epoch in case the channel is new, the message, the limits. */
  private publishArgs(channel: string, json: string): Array<string | number> {
    return [...this.keys(channel), ...this.publishValues(channel, json)];
  }

  private publishValues(channel: string, json: string): Array<string | number> {
    return [randomToken(6), json, this.size, this.topic(channel), this.idleTtl];
  }

  private keys(channel: string): [string, string, string, string] {
    // The hash tag {channel} keeps a channel's keys in one slot, as Redis Cluster requires for a script.
    const tag = `{${channel}}`;
    return [`${this.prefix}e:${tag}`, `${this.prefix}q:${tag}`, `${this.prefix}h:${tag}`, `${this.prefix}s:${tag}`];
  }

  private topic(channel: string): string {
    return `${this.prefix}m:${channel}`;
  }
}

export function redisBroker(options?: RedisBrokerOptions): RedisBroker {
  return new RedisBroker(options);
}
