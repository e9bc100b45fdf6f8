import type { Redis } from 'ioredis';
import {
  type ClusterHandlers,
  type ClusterLink,
  type NodeAnswer,
  type NodeCall,
  NodeNotListening,
  type StoredSession,
} from './cluster-link.js';
import { randomToken } from '../random.js';
import { userIdentity } from '../user-identity.js';

export interface RedisClients {
  commands: Redis;
  subscriber: Redis;
}

/** Lua: Redis's clock in ms (so nodes on different machines agree). */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Lua: this node's heartbeat, whether the others could have taken it for dead before it (its previous
 * heartbeat older than the timeout, or its entry removed as dead: KEYS[2] lists the nodes declared
 * dead), and the nodes silent too long. A node with no entry and not declared dead is joining (or Redis
 * lost its data): alive. A dead node's id is not brought back (the node rejoins under a new one).
 */
const HEARTBEAT = `${NOW}
local alive = 1
local previous = redis.call('ZSCORE', KEYS[1], ARGV[1])
if previous then
  if tonumber(previous) < now - tonumber(ARGV[2]) then alive = 0 end
elseif redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  alive = 0
end
if alive == 1 then redis.call('ZADD', KEYS[1], now, ARGV[1]) end
return {alive, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))}
`;

/**
 * Lua: declares node ARGV[1] dead if it has been silent for ARGV[2] ms: answers 1 to exactly one
 * caller, which cleans up after it; 2 if it was not in the list (already dead); 0 if it is not silent
 * long enough. The node learns it on its next heartbeat. Old entries of the dead list are trimmed.
 */
const DECLARE_DEAD = `${NOW}
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not seen then return 2 end
if tonumber(seen) >= now - tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
return 1
`;

const ALIVE = `${NOW}
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen and tonumber(seen) >= now - tonumber(ARGV[2]) then return 1 end
return 0
`;

/** Lua, before every record write: stop unless the record (KEYS[1]) is held by this node (ARGV[1]) or absent. */
const OWNED = `
local holder = redis.call('HGET', KEYS[1], 'n')
if holder and holder ~= ARGV[1] then return 0 end
`;

/**
 * Lua: writes the record as held by this node (ARGV[1]) if it is absent, held by this node, or held by
 * ARGV[2] (the node it is taken over from): ARGV[3] secret hash, ARGV[4] user, ARGV[5] handled, ARGV[6]
 * ttl, then the kept frames.
 */
const SAVE = `
local holder = redis.call('HGET', KEYS[1], 'n')
if holder and holder ~= ARGV[1] and holder ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'k', ARGV[3], 'u', ARGV[4], 'n', ARGV[1], 'h', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('DEL', KEYS[2])
for i = 7, #ARGV, 100 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 99, #ARGV)))
end
if #ARGV >= 7 then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
return 1
`;

const KEEP_FRAME = `${OWNED}
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

const DROP_FRAMES = `${OWNED}
redis.call('LTRIM', KEYS[2], ARGV[2], -1)
return 1
`;

const RECORD_HANDLED = `${OWNED}
redis.call('HSET', KEYS[1], 'h', ARGV[2])
return 1
`;

const DELETE = `${OWNED}
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;

/** Tries of `confirmAlive` before a node that gets no timely heartbeat through takes itself for dead. */
const CONFIRM_ATTEMPTS = 5;

type BusMessage = { id: string; from: string; call: NodeCall } | { re: string; answer: NodeAnswer };

interface Waiting {
  resolve(answer: NodeAnswer): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The cluster link on Redis (it shares the Redis broker's clients): session records in hashes (`sess:<id>`: secret hash, user,
 * node, handled seq) with their kept frames in lists (`sout:<id>`), node heartbeats in one sorted set
 * (`nodes`), and a pub/sub topic per node (`n:<node>`) for calls between nodes.
 */
export class RedisClusterLink implements ClusterLink {
  private id = randomToken(6);
  private handlers: ClusterHandlers | undefined;
  /** When (performance.now()) the latest heartbeat confirmed alive was sent. */
  private confirmedAt = performance.now();
  /** The heartbeat under way, shared by everyone who waits for one. */
  private beating: Promise<boolean> | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private recordTtl = 120_000;
  private closed = false;
  private readonly onMessage = (topic: string, payload: string): void => {
    if (topic === this.topic(this.id)) this.receive(payload);
  };

  constructor(
    private readonly connect: () => Promise<RedisClients>,
    private readonly prefix: string,
    /** A node silent for this long is dead, ms. */
    private readonly nodeTimeout: number,
  ) {}

  get nodeId(): string {
    return this.id;
  }

  async start(handlers: ClusterHandlers, sessionTtl: number): Promise<void> {
    this.handlers = handlers;
    // A record outlives its node by at least 1.5 session TTLs: refreshed every half TTL, set to two.
    this.recordTtl = 2 * sessionTtl;
    const { subscriber } = await this.connect();
    subscriber.on('message', this.onMessage);
    await subscriber.subscribe(this.topic(this.nodeId));
    if (this.closed) return; // the server closed while this node was joining
    await this.heartbeat();
    this.every(this.nodeTimeout / 4, () => this.heartbeat());
    this.every(sessionTtl / 2, () => this.refreshRecords());
  }

  async call(node: string, call: NodeCall, timeout: number): Promise<NodeAnswer> {
    const { commands } = await this.connect();
    const id = randomToken(9);
    const answer = new Promise<NodeAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`node ${node} did not answer "${call.kind}" within ${timeout} ms`));
      }, timeout);
      this.waiting.set(id, { resolve, reject, timer });
    });
    const message: BusMessage = { id, from: this.nodeId, call };
    const receivers = await commands.publish(this.topic(node), JSON.stringify(message));
    if (receivers === 0) this.settle(id, new NodeNotListening(`node ${node} is not listening`));
    return answer;
  }

  async isAlive(node: string): Promise<boolean> {
    const { commands } = await this.connect();
    return (await commands.eval(ALIVE, 1, this.key('nodes'), node, this.nodeTimeout)) === 1;
  }

  async declareDead(node: string, now: boolean): Promise<boolean> {
    const { commands } = await this.connect();
    // Past half the timeout without a heartbeat, `node` is lapsed by its own clock: it handles nothing
    // until a heartbeat gets through, and that one finds it declared dead.
    const silentFor = now ? 0 : this.nodeTimeout / 2;
    const deadline = performance.now() + this.nodeTimeout;
    for (;;) {
      const declared = await commands.eval(DECLARE_DEAD, 2, this.key('nodes'), this.key('dead'), node, silentFor, this.recordTtl);
      if (declared === 1) {
        void this.handlers?.nodeDied(node).catch(() => {}); // logged by the handler
        return true;
      }
      if (declared === 2) return true;
      if (performance.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, this.nodeTimeout / 8));
    }
  }

  lapsed(): boolean {
    // Another node takes this one for dead once Redis's clock is `nodeTimeout` past its last heartbeat,
    // which Redis ran after it was sent: so at half of that, by this process's monotonic clock, no
    // node can have done so yet.
    return performance.now() - this.confirmedAt > this.nodeTimeout / 2;
  }

  async confirmAlive(): Promise<boolean> {
    for (let attempt = 0; attempt < CONFIRM_ATTEMPTS && this.lapsed(); attempt++) {
      if (!(await this.heartbeat())) return false;
    }
    if (!this.lapsed()) return true;
    // Redis answers, but never within half the timeout: this node can't know it is still counted alive.
    this.fence();
    return false;
  }

  async loadSession(id: string): Promise<StoredSession | null> {
    const { commands } = await this.connect();
    const [[, record], [, kept]] = (await commands.multi().hgetall(this.key('sess', id)).lrange(this.key('sout', id), 0, -1).exec()) as [
      [unknown, Record<string, string>],
      [unknown, string[]],
    ];
    if (!record.k || !record.n) return null;
    const frames = kept.map((entry) => {
      const newline = entry.indexOf('\n');
      return { n: Number(entry.slice(0, newline)), text: entry.slice(newline + 1) };
    });
    return { secretHash: record.k, user: record.u ?? userIdentity(null), node: record.n, handled: Number(record.h ?? 0), frames };
  }

  async saveSession(id: string, record: Omit<StoredSession, 'node'>, from = ''): Promise<boolean> {
    const { commands } = await this.connect();
    const frames = record.frames.map(({ n, text }) => `${n}\n${text}`);
    const args = [this.id, from, record.secretHash, record.user, record.handled, this.recordTtl, ...frames];
    return (await commands.eval(SAVE, 2, this.key('sess', id), this.key('sout', id), ...args)) === 1;
  }

  async keepFrame(id: string, n: number, text: string): Promise<boolean> {
    return this.writeRecord(KEEP_FRAME, id, `${n}\n${text}`, this.recordTtl);
  }

  async dropFrames(id: string, count: number): Promise<boolean> {
    return this.writeRecord(DROP_FRAMES, id, count);
  }

  async recordHandled(id: string, seq: number): Promise<boolean> {
    return this.writeRecord(RECORD_HANDLED, id, seq);
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.writeRecord(DELETE, id);
  }

  async trackPresence(channel: string): Promise<void> {
    const { commands } = await this.connect();
    await commands.sadd(this.key('np', this.id), channel);
  }

  async takePresence(node: string): Promise<string[]> {
    const { commands } = await this.connect();
    const key = this.key('np', node);
    const [[, channels]] = (await commands.multi().smembers(key).del(key).exec()) as [[unknown, string[]]];
    return channels;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const id of [...this.waiting.keys()]) this.settle(id, new Error('cluster link closed'));
    if (!this.handlers) return;
    try {
      const { commands, subscriber } = await this.connect();
      subscriber.off('message', this.onMessage);
      await Promise.all([
        subscriber.unsubscribe(this.topic(this.id)),
        commands.multi().zrem(this.key('nodes'), this.id).del(this.key('np', this.id)).exec(),
      ]);
    } catch {
      // Redis is gone; the other nodes will see this one's heartbeats stop.
    }
  }

  private receive(payload: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(payload) as BusMessage;
    } catch {
      return;
    }
    if ('re' in message) {
      this.settle(message.re, message.answer);
      return;
    }
    const handlers = this.handlers;
    if (!handlers) return;
    void handlers
      .call(message.call)
      .catch((error: unknown): NodeAnswer => ({ status: 500, body: `internal error on node ${this.nodeId}: ${String(error)}` }))
      .then(async (answer) => {
        const { commands } = await this.connect();
        const reply: BusMessage = { re: message.id, answer };
        await commands.publish(this.topic(message.from), JSON.stringify(reply));
      })
      .catch(() => {}); // the asking node times out
  }

  private settle(id: string, outcome: NodeAnswer | Error): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    clearTimeout(waiting.timer);
    if (outcome instanceof Error) waiting.reject(outcome);
    else waiting.resolve(outcome);
  }

  /** One heartbeat (or the one under way): resolves false if it found this node taken for dead. */
  private heartbeat(): Promise<boolean> {
    this.beating ??= this.beat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async beat(): Promise<boolean> {
    const { commands } = await this.connect();
    const sentAt = performance.now();
    const id = this.id;
    const [alive, silent] = (await commands.eval(HEARTBEAT, 2, this.key('nodes'), this.key('dead'), id, this.nodeTimeout)) as [
      number,
      string[],
    ];
    if (id !== this.id) return true; // a heartbeat of the id this node had before it was fenced: old news
    if (alive !== 1) {
      this.fence();
      return false;
    }
    this.confirmedAt = Math.max(this.confirmedAt, sentAt);
    for (const node of silent) {
      if (node === id) continue;
      const declared = await commands.eval(DECLARE_DEAD, 2, this.key('nodes'), this.key('dead'), node, this.nodeTimeout, this.recordTtl);
      if (declared === 1) await this.handlers?.nodeDied(node);
    }
    return true;
  }

  /**
   * This node was (or may have been) taken for dead: its sessions end here (other nodes may hold them
   * now), and it rejoins under a new id, so nothing of the old one (presence entries, records, HTTP
   * connection tokens) is mistaken for the new one's.
   */
  private fence(): void {
    const old = this.id;
    this.id = randomToken(6); // unconfirmed until its first heartbeat: frames wait for it (lapsed)
    this.handlers?.fenced();
    void this.rejoin(old).catch(() => {}); // Redis unreachable: heartbeats go on trying
  }

  private async rejoin(old: string): Promise<void> {
    const { commands, subscriber } = await this.connect();
    await subscriber.subscribe(this.topic(this.id));
    await subscriber.unsubscribe(this.topic(old));
    // The old id is dead from now on: its sessions' records are taken over without asking it. Its
    // presence entries left with its sessions.
    await commands.multi().zrem(this.key('nodes'), old).del(this.key('np', old)).exec();
    await this.heartbeat();
  }

  private async refreshRecords(): Promise<void> {
    const { commands } = await this.connect();
    const pipeline = commands.pipeline();
    for (const id of this.handlers?.sessions() ?? [])
      pipeline.pexpire(this.key('sess', id), this.recordTtl).pexpire(this.key('sout', id), this.recordTtl);
    await pipeline.exec();
  }

  /** Runs a record write script (OWNED first): resolves whether this node held the record. */
  private async writeRecord(script: string, id: string, ...args: Array<string | number>): Promise<boolean> {
    const { commands } = await this.connect();
    return (await commands.eval(script, 2, this.key('sess', id), this.key('sout', id), this.id, ...args)) === 1;
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      if (!this.closed) task().catch(() => {}); // Redis unreachable: the next round tries again
    }, ms);
    timer.unref?.();
    this.timers.push(timer);
  }

  private key(kind: string, id?: string): string {
    return id === undefined ? `${this.prefix}${kind}` : `${this.prefix}${kind}:${id}`;
  }

  private topic(node: string): string {
    return `${this.prefix}n:${node}`;
  }
}
