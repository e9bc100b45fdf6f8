/**
 * The load generator process: opens the clients, receives the broadcasts and measures what the
 * clients see (handshake times, end-to-end latency on the shared clock, loss, duplicates, resume).
 */
import { sharedNow, sleep } from './clock.js';
import { emit, serve } from './ipc.js';
import type { BenchMessage } from './message.js';
import { Samples, summarize } from './stats.js';
import { type BenchClient, type ClientKind, clientFactory } from './clients/client.js';
import { closeAgents } from './clients/http-fetch.js';
import { useSourceAddresses } from './clients/source-address.js';

interface Tracked {
  client: BenchClient;
  /** Next message index expected; messages arrive in order on every transport measured. */
  next: number;
  lost: number;
  duplicated: number;
  /** Shared-clock times of each completed (re)connection. */
  opens: { at: number; resumed: boolean }[];
  /** Resume scenario: when this client had everything published before its reconnection. */
  caughtUpAt: number;
  /** Shared-clock times at which the client planned its reconnection attempts (loss time + backoff delay). */
  plannedAttempts: number[];
}

let clients: Tracked[] = [];
let expected = 0;
let arrivals = new Int32Array(0);
let complete = 0;
let latencies = new Samples(1);
/** Per message: from its send time until every client of this process had it, ms (NaN until then). */
let timeToAll = new Float64Array(0);
let onComplete: (() => void) | null = null;

function receive(tracked: Tracked, message: BenchMessage): void {
  const now = sharedNow();
  latencies.add(now - message.t);
  const i = message.i;
  if (i < tracked.next) tracked.duplicated++;
  else {
    tracked.lost += i - tracked.next;
    tracked.next = i + 1;
  }
  const reconnected = tracked.opens.at(-1);
  if (reconnected && tracked.opens.length > 1 && message.t <= reconnected.at) tracked.caughtUpAt = now;
  if (i < expected && ++arrivals[i]! === clients.length) {
    timeToAll[i] = now - message.t;
    const before = complete;
    while (complete < expected && arrivals[complete] === clients.length) complete++;
    if (complete > before) emit('progress', { done: complete });
    if (complete === expected) onComplete?.();
  }
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

serve({
  /** The source addresses the clients connect from, in turn (bench:scale). */
  sources(request) {
    useSourceAddresses(request.addresses as string[]);
    return {};
  },

  /** Opens `n` clients, `concurrency` handshakes at a time; reports handshake and ready times. */
  async connect(request) {
    const factory = await clientFactory(request.kind as ClientKind);
    const n = request.n as number;
    const handshakes = new Float64Array(n);
    const readies = new Float64Array(n);
    let failed = 0;
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await pool(n, request.concurrency as number, async (index) => {
      const begin = performance.now();
      const tracked: Tracked = {
        client: null as unknown as BenchClient,
        next: 0,
        lost: 0,
        duplicated: 0,
        opens: [],
        caughtUpAt: 0,
        plannedAttempts: [],
      };
      tracked.client = factory(request.url as string, {
        message: (message) => receive(tracked, message),
        open: (resumed) => tracked.opens.push({ at: sharedNow(), resumed }),
        reconnecting: (delay) => tracked.plannedAttempts.push(sharedNow() + delay),
      });
      clients.push(tracked);
      try {
        await withTimeout(tracked.client.opened, 20_000, 'handshake');
        handshakes[index] = performance.now() - begin;
        await withTimeout(tracked.client.ready, 20_000, 'ready');
        readies[index] = performance.now() - begin;
      } catch {
        failed++;
      }
    });
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    return {
      elapsedMs: elapsed,
      perSecond: (n - failed) / (elapsed / 1000),
      loadCpuMicros: cpu.user + cpu.system,
      handshake: summarize(handshakes),
      ready: summarize(readies),
      failed,
    };
  },

  /**
   * Time to first message: opens `n` clients, `concurrency` at a time, each timed from its creation to
   * its first message (the server broadcasts every few ms meanwhile) and closed then, so the broadcasts
   * only ever reach a few clients. Also reports which transport each ended on, where the client says.
   */
  async firstMessage(request) {
    const factory = await clientFactory(request.kind as ClientKind);
    const n = request.n as number;
    const times = new Float64Array(n);
    let failed = 0;
    const transports: Record<string, number> = {};
    await pool(n, request.concurrency as number, async (index) => {
      const begin = performance.now();
      let first!: () => void;
      const arrived = new Promise<void>((resolve) => (first = resolve));
      const client = factory(request.url as string, { message: () => first(), open: () => {} });
      try {
        await withTimeout(arrived, 20_000, 'first message');
        times[index] = performance.now() - begin;
        const transport = client.transport?.();
        if (transport) transports[transport] = (transports[transport] ?? 0) + 1;
      } catch {
        failed++;
      } finally {
        client.close();
      }
    });
    // (Any failure fails the scenario: the orchestrator reports it instead of a summary.)
    return { firstMessage: summarize(times), failed, transports };
  },

  /** Waits until every client has messages 0..count-1 (or the time runs out), then reports. */
  async expect(request) {
    const count = request.count as number;
    expected = count;
    arrivals = new Int32Array(count);
    timeToAll = new Float64Array(count).fill(Number.NaN);
    complete = 0;
    latencies = new Samples(Math.min(count * clients.length, 4_000_000));
    for (const tracked of clients) Object.assign(tracked, { next: 0, lost: 0, duplicated: 0, caughtUpAt: 0 });
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    emit('expecting');
    await new Promise<void>((resolve) => {
      onComplete = resolve;
      setTimeout(resolve, request.timeoutMs as number);
    });
    onComplete = null;
    const elapsed = performance.now() - start;
    let lost = 0;
    let duplicated = 0;
    let received = 0;
    for (const tracked of clients) {
      lost += tracked.lost + (count - tracked.next);
      duplicated += tracked.duplicated;
      received += tracked.next - tracked.lost + tracked.duplicated;
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      complete: complete === count,
      received,
      lost,
      duplicated,
      elapsedMs: elapsed,
      loadCpuMicros: cpu.user + cpu.system,
      latency: latencies.summary(),
      ...(request.timeToAll ? { timeToAll: Array.from(timeToAll) } : {}),
    };
  },

  /** Resume scenario: how the clients came back after the server cut every connection at `dropAt`. */
  resumeReport(request) {
    const dropAt = request.dropAt as number;
    const reconnects: number[] = [];
    const planned: number[] = [];
    const caughtUp: number[] = [];
    let resumed = 0;
    let missing = 0;
    const buckets = new Map<number, number>();
    for (const tracked of clients) {
      const open = tracked.opens.find((o) => o.at > dropAt);
      if (!open) {
        missing++;
        continue;
      }
      if (open.resumed) resumed++;
      const attempt = tracked.plannedAttempts.find((at) => at > dropAt);
      if (attempt !== undefined) planned.push(attempt - dropAt);
      reconnects.push(open.at - dropAt);
      caughtUp.push(Math.max(tracked.caughtUpAt, open.at) - dropAt);
      const bucket = Math.floor((open.at - dropAt) / 100);
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    }
    const reconnect = summarize(reconnects);
    return {
      reconnect: { ...reconnect, min: Math.min(...reconnects) },
      plannedAttempt: summarize(planned),
      caughtUp: summarize(caughtUp),
      resumed,
      notReconnected: missing,
      peakPer100ms: Math.max(0, ...buckets.values()),
    };
  },

  async closeAll() {
    for (const tracked of clients) tracked.client.close();
    clients = [];
    await sleep(100);
    closeAgents();
  },
});
