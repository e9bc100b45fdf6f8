import type { Redis } from 'ioredis';
import type { ClusterHandlers, ClusterLink, NodeAnswer, NodeCall, StoredSession } from '../cluster/cluster.js';
import { randomToken } from '../random.js';
import { userIdentity } from '../user-identity.js';

export interface RedisClients {
  commands: Redis;
  subscriber: Redis;
}

/** Lua: this node's heartbeat (Redis's clock, so nodes on different machines agree), and the nodes silent too long. */
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
`;

const ALIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seen and tonumber(seen) >= now - tonumber(ARGV[2]) then return 1 end
return 0
`;

type BusMessage = { id: string; from: string; call: NodeCall } | { re: string; answer: NodeAnswer };

interface Waiting {
  resolve(answer: NodeAnswer): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The cluster side of the Redis broker: session records in hashes (`sess:<id>`: secret hash, user,
 * node, handled seq) with their kept frames in lists (`sout:<id>`), node heartbeats in one sorted set
 * (`nodes`), and a pub/sub topic per node (`n:<node>`) for calls between nodes.
 */
export class RedisClusterLink implements ClusterLink {
  readonly nodeId = randomToken(6);
  private handlers: ClusterHandlers | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private recordTtl = 120_000;
  private closed = false;
  private readonly onMessage = (topic: string, payload: string): void => {
    if (topic === this.topic(this.nodeId)) this.receive(payload);
  };

  constructor(
    private readonly connect: () => Promise<RedisClients>,
    private readonly prefix: string,
    /** A node silent for this long is dead, ms. */
    private readonly nodeTimeout: number,
  ) {}

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
    if (receivers === 0) this.settle(id, new Error(`node ${node} is not listening`));
    return answer;
  }

  async isAlive(node: string): Promise<boolean> {
    const { commands } = await this.connect();
    return (await commands.eval(ALIVE, 1, this.key('nodes'), node, this.nodeTimeout)) === 1;
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

  async saveSession(id: string, record: Omit<StoredSession, 'node'>): Promise<void> {
    const { commands } = await this.connect();
    const sess = this.key('sess', id);
    const sout = this.key('sout', id);
    const multi = commands.multi().hset(sess, 'k', record.secretHash, 'u', record.user, 'n', this.nodeId, 'h', record.handled).pexpire(sess, this.recordTtl).del(sout);
    if (record.frames.length > 0) multi.rpush(sout, ...record.frames.map(({ n, text }) => `${n}\n${text}`)).pexpire(sout, this.recordTtl);
    await multi.exec();
  }

  async keepFrame(id: string, n: number, text: string): Promise<void> {
    const { commands } = await this.connect();
    const sout = this.key('sout', id);
    await commands.multi().rpush(sout, `${n}\n${text}`).pexpire(sout, this.recordTtl).exec();
  }

  async dropFrames(id: string, count: number): Promise<void> {
    const { commands } = await this.connect();
    await commands.ltrim(this.key('sout', id), count, -1);
  }

  async recordHandled(id: string, seq: number): Promise<void> {
    const { commands } = await this.connect();
    await commands.hset(this.key('sess', id), 'h', seq);
  }

  async deleteSession(id: string): Promise<void> {
    const { commands } = await this.connect();
    await commands.del(this.key('sess', id), this.key('sout', id));
  }

  async trackPresence(channel: string): Promise<void> {
    const { commands } = await this.connect();
    await commands.sadd(this.key('np', this.nodeId), channel);
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
        subscriber.unsubscribe(this.topic(this.nodeId)),
        commands.multi().zrem(this.key('nodes'), this.nodeId).del(this.key('np', this.nodeId)).exec(),
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

  private async heartbeat(): Promise<void> {
    const { commands } = await this.connect();
    const silent = (await commands.eval(HEARTBEAT, 1, this.key('nodes'), this.nodeId, this.nodeTimeout)) as string[];
    for (const node of silent) {
      if (node === this.nodeId) continue;
      // ZREM answers 1 to exactly one node: that one cleans up after the dead node.
      if ((await commands.zrem(this.key('nodes'), node)) === 1) await this.handlers?.nodeDied(node);
    }
  }

  private async refreshRecords(): Promise<void> {
    const { commands } = await this.connect();
    const pipeline = commands.pipeline();
    for (const id of this.handlers?.sessions() ?? []) pipeline.pexpire(this.key('sess', id), this.recordTtl).pexpire(this.key('sout', id), this.recordTtl);
    await pipeline.exec();
  }

  private every(ms: number, task: () => Promise<void>): void {
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
