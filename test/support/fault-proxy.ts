import { createServer, type Server, type Socket, connect as netConnect } from 'node:net';

/** Bytes the proxy holds per direction before it stops reading (like a router's bounded buffer). */
const MAX_QUEUED_BYTES = 256 * 1024;

export interface FaultOptions {
  /** Each connection is cut after a random time in [min, max] ms. Default 20–200. Null: never cut. */
  cutAfter?: [min: number, max: number] | null;
  /** Chance, per forwarded chunk, that the direction stalls before passing it on. Default 0.1. */
  stallChance?: number;
  /** How long a stall holds a direction, [min, max] ms. Default 5–60. */
  stallFor?: [min: number, max: number];
  /**
   * Chance that a connection, instead of being cut, goes silent both ways and stays open (a half-open
   * connection, as after a NAT timeout): only heartbeats can find it. Default 0.
   */
  blackholeChance?: number;
  /** Extra delay of every chunk, [min, max] ms; order is kept. Default 0–5. */
  delay?: [min: number, max: number];
  /** Randomness, injectable for a reproducible run. */
  random?: () => number;
}

export interface FaultStats {
  connections: number;
  cuts: number;
  blackholes: number;
  stalls: number;
  bytes: number;
}

/**
 * A TCP proxy on 127.0.0.1 that injects faults between a client and a server: it cuts each connection
 * after a random time, stalls a direction now and then, and delays bytes (keeping their order, as TCP
 * would). The upstream port can change while it runs, so the server behind it can restart.
 */
export class FaultProxy {
  readonly stats: FaultStats = { connections: 0, cuts: 0, blackholes: 0, stalls: 0, bytes: 0 };
  private readonly server: Server;
  /** Open connections, each with the function that cuts it. */
  private readonly pairs = new Map<{ a: Socket; b: Socket; silent: boolean }, () => void>();
  private faults: Required<FaultOptions>;
  private closed = false;
  /** While true, new connections are closed at once (see `linkDown`). */
  private down = false;

  constructor(
    public upstreamPort: number,
    options: FaultOptions = {},
  ) {
    this.faults = FaultProxy.resolve(options);
    this.server = createServer((client) => this.accept(client));
  }

  private static resolve(options: FaultOptions): Required<FaultOptions> {
    return {
      cutAfter: options.cutAfter === undefined ? [20, 200] : options.cutAfter,
      stallChance: options.stallChance ?? 0.1,
      blackholeChance: options.blackholeChance ?? 0,
      stallFor: options.stallFor ?? [5, 60],
      delay: options.delay ?? [0, 5],
      random: options.random ?? Math.random,
    };
  }

  /** Changes the faults for connections made from now on (and for chunks of current ones). */
  setFaults(options: FaultOptions): void {
    this.faults = FaultProxy.resolve(options);
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('fault proxy: no port');
    return address.port;
  }

  /**
   * Takes the link down: every open connection is cut, and new ones are closed as soon as they arrive,
   * until `linkUp()` (a partition between the two sides, as far as TCP can tell).
   */
  linkDown(): void {
    this.down = true;
    this.cutAll();
  }

  linkUp(): void {
    this.down = false;
  }

  /** Cuts every open connection now. */
  cutAll(): void {
    for (const cut of [...this.pairs.values()]) cut();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private between([min, max]: [number, number]): number {
    return min + this.faults.random() * (max - min);
  }

  private accept(client: Socket): void {
    if (this.closed || this.down) {
      client.destroy();
      return;
    }
    this.stats.connections++;
    const upstream = netConnect(this.upstreamPort, '127.0.0.1');
    const pair = { a: client, b: upstream, silent: false };
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = (): void => {
      if (!this.pairs.delete(pair)) return;
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    this.pairs.set(pair, end);
    const cutAfter = this.faults.cutAfter;
    const blackhole = this.faults.random() < this.faults.blackholeChance;
    const timer = cutAfter
      ? setTimeout(() => {
          if (blackhole) {
            this.stats.blackholes++;
            pair.silent = true; // open, but nothing passes any more: until a side gives up on it
            return;
          }
          this.stats.cuts++;
          end();
        }, this.between(cutAfter))
      : undefined;
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    this.forward(client, upstream, pair);
    this.forward(upstream, client, pair);
  }

  /**
   * Passes chunks from `from` to `to` in order, each `delay` after it arrived (a latency, not a
   * throughput limit), and now and then stalls the direction: nothing passes until the stall ends.
   * Reading pauses while many chunks wait, so a stall backs up into the sender's TCP buffers as a real
   * one does.
   */
  private forward(from: Socket, to: Socket, pair: { a: Socket; b: Socket; silent: boolean }): void {
    const queue: { chunk: Buffer; due: number }[] = [];
    let queuedBytes = 0;
    let lastDue = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      if (!this.pairs.has(pair)) return;
      const now = Date.now();
      if (pair.silent) queue.length = queuedBytes = 0;
      while (queue.length > 0 && queue[0]!.due <= now) {
        const { chunk } = queue.shift()!;
        queuedBytes -= chunk.length;
        this.stats.bytes += chunk.length;
        to.write(chunk);
      }
      if (queue.length < 64 && queuedBytes < MAX_QUEUED_BYTES / 2) from.resume();
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - now);
    };
    from.on('data', (chunk: Buffer) => {
      if (pair.silent) return; // swallowed
      const now = Date.now();
      let due = Math.max(now + this.between(this.faults.delay), lastDue);
      if (this.faults.random() < this.faults.stallChance) {
        this.stats.stalls++;
        due = Math.max(due, now + this.between(this.faults.stallFor));
      }
      lastDue = due;
      queue.push({ chunk, due });
      queuedBytes += chunk.length;
      if (queue.length >= 256 || queuedBytes >= MAX_QUEUED_BYTES) from.pause();
      if (timer === undefined) timer = setTimeout(flush, Math.max(0, queue[0]!.due - now));
    });
    from.on('close', () => clearTimeout(timer));
  }

  /** The number of connections currently open through the proxy. */
  get open(): number {
    return this.pairs.size;
  }
}
