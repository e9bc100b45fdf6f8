/**
 * `npm run bench:scale`: many sessions on one server process, at 1 broadcast/s. One server process
 * and two load processes (each ≤ 10,000 clients: the open-file limit is 20,000 per process, hard),
 * the clients spread over several 127.x source addresses. For each system and each level of sessions:
 * the time until every client has a broadcast (p50/p95/max over the broadcasts), server CPU per
 * broadcast, and the server's memory per session (marginal: since the level before). Writes
 * bench/.out/scale.json and the "Scale" section of docs/BENCHMARKS.md (and its chart).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { sleep } from './clock.js';
import { spawnBenchProcess, benchDir, repoRoot } from './processes.js';
import type { Peer } from './ipc.js';
import { percentile } from './stats.js';
import { writeScaleSection, type ScaleLevel, type ScaleResults, type ScaleSystem } from './scale-report.js';
import type { ClientKind } from './clients/client.js';
import type { ServerKind } from './servers/server.js';

type Reply<T> = T & { re: number };

interface System {
  id: string;
  label: string;
  server: ServerKind;
  client: ClientKind;
  levels: number[];
}

const quick = process.env.BENCH_QUICK === '1';
/** Broadcasts measured at each level, one per second. */
const BROADCASTS = quick ? 5 : 12;
const SYSTEMS: System[] = [
  {
    id: 'pushwire-websocket',
    label: 'Pushwire WS',
    server: 'pushwire',
    client: 'pushwire-websocket',
    levels: [5_000, 10_000, 15_000, 19_500],
  },
  { id: 'ws', label: 'plain ws', server: 'ws', client: 'ws', levels: [5_000, 10_000, 15_000, 19_500] },
  { id: 'pushwire-sse', label: 'Pushwire SSE', server: 'pushwire', client: 'pushwire-sse', levels: [10_000] },
  { id: 'pushwire-long-polling', label: 'Pushwire LP', server: 'pushwire', client: 'pushwire-long-polling', levels: [5_000] },
];
const QUICK_LEVELS = [500, 1_000];
/** Source addresses of each load process. */
const SOURCES = [
  ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4'],
  ['127.0.2.1', '127.0.2.2', '127.0.2.3', '127.0.2.4'],
];

interface Memory {
  rss: number;
  heapUsed: number;
  connections: number;
}

async function waitForConnections(server: Peer, n: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let seen = 0;
  while (performance.now() < deadline) {
    seen = (await server.request<Reply<{ n: number }>>('connections')).n;
    if (seen >= n) return seen;
    await sleep(250);
  }
  return seen;
}

/** Broadcasts `count` messages at 1/s; per broadcast, the time until the last client of both load processes had it. */
async function measure(
  server: Peer,
  loads: Peer[],
  count: number,
): Promise<{ timeToAll: number[]; cpuMicros: number; lost: number; duplicated: number }> {
  const listening = loads.map((load) => new Promise<void>((resolve) => load.on('expecting', () => resolve())));
  const done = loads.map((load) =>
    load.request<Reply<{ lost: number; duplicated: number; timeToAll: (number | null)[] }>>(
      'expect',
      { count, timeoutMs: count * 1000 + 15_000, timeToAll: true },
      count * 1000 + 60_000,
    ),
  );
  await Promise.all(listening);
  const cpu0 = await server.request<Reply<{ user: number; system: number }>>('cpu');
  await server.request('rate', { count, rate: 1 }, count * 1000 + 30_000);
  const replies = await Promise.all(done);
  const cpu1 = await server.request<Reply<{ user: number; system: number }>>('cpu');
  const timeToAll = Array.from({ length: count }, (_, i) =>
    Math.max(...replies.map((reply) => reply.timeToAll[i] ?? Number.POSITIVE_INFINITY)),
  );
  return {
    timeToAll,
    cpuMicros: cpu1.user + cpu1.system - cpu0.user - cpu0.system,
    lost: replies.reduce((sum, reply) => sum + reply.lost, 0),
    duplicated: replies.reduce((sum, reply) => sum + reply.duplicated, 0),
  };
}

async function runSystem(system: System): Promise<ScaleSystem> {
  const levels = quick ? QUICK_LEVELS : system.levels;
  const server = spawnBenchProcess('server-process.js', `${system.id} server`);
  const loads = SOURCES.map((_, i) => spawnBenchProcess('load-process.js', `${system.id} load ${i}`));
  const result: ScaleSystem = { id: system.id, label: system.label, levels: [] };
  try {
    const { port } = await server.request<Reply<{ port: number }>>('start', { kind: system.server });
    const url = `http://127.0.0.1:${port}`;
    await Promise.all(loads.map((load, i) => load.request('sources', { addresses: SOURCES[i] })));
    const base = await server.request<Reply<Memory>>('memory');
    let previous = { sessions: 0, rss: base.rss, heapUsed: base.heapUsed };
    for (const sessions of levels) {
      const added = sessions - previous.sessions;
      const t0 = performance.now();
      const connected = await Promise.all(
        loads.map((load, i) =>
          load.request<Reply<{ failed: number; perSecond: number }>>(
            'connect',
            { kind: system.client, url, n: Math.floor(added / loads.length) + (i < added % loads.length ? 1 : 0), concurrency: 50 },
            600_000,
          ),
        ),
      );
      const failed = connected.reduce((sum, c) => sum + c.failed, 0);
      const connectSeconds = (performance.now() - t0) / 1000;
      const seen = await waitForConnections(server, sessions, 30_000);
      if (failed > 0 || seen < sessions) {
        result.error = `at ${sessions}: ${failed} clients failed to connect, the server sees ${seen}`;
        break;
      }
      // Settled: handshakes done, first receipts sent (a subd's receipt comes ~1 s after it; 3 s over HTTP).
      await sleep(6_000);
      const memory = await server.request<Reply<Memory>>('memory');
      const measured = await measure(server, loads, BROADCASTS);
      const sorted = [...measured.timeToAll].sort((a, b) => a - b);
      const level: ScaleLevel = {
        sessions,
        connectPerSecond: added / connectSeconds,
        timeToAll: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! },
        cpuMsPerBroadcast: measured.cpuMicros / 1000 / BROADCASTS,
        marginalRssPerSession: (memory.rss - previous.rss) / added,
        marginalHeapPerSession: (memory.heapUsed - previous.heapUsed) / added,
        rssPerSession: (memory.rss - base.rss) / sessions,
        lost: measured.lost,
        duplicated: measured.duplicated,
      };
      result.levels.push(level);
      console.log(
        `${system.label} ${sessions}: time to all p95 ${level.timeToAll.p95.toFixed(0)} ms, CPU ${level.cpuMsPerBroadcast.toFixed(0)} ms/broadcast, ` +
          `+${(level.marginalRssPerSession / 1024).toFixed(1)} KB RSS/session, lost ${level.lost}, load ${loadavg()[0]!.toFixed(1)}`,
      );
      previous = { sessions, rss: memory.rss, heapUsed: memory.heapUsed };
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await Promise.all(loads.map((load) => load.request('closeAll', {}, 60_000).catch(() => {})));
    await server.request('stop', {}, 20_000).catch(() => {});
    for (const peer of [...loads, server]) {
      if (peer.child.connected) peer.child.disconnect();
      await peer.exited(10_000);
      peer.kill();
    }
  }
  return result;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',');
  const started = performance.now();
  const results: ScaleResults = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverage: loadavg()[0]!,
    quick,
    broadcasts: BROADCASTS,
    systems: [],
  };
  for (const system of SYSTEMS) {
    if (only && !only.includes(system.id)) continue;
    const t0 = performance.now();
    const outcome = await runSystem(system);
    results.systems.push(outcome);
    console.log(
      `- ${system.label}: ${outcome.error ? `FAILED: ${outcome.error}` : 'done'} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  results.loadAverageAtEnd = loadavg()[0]!;
  const saved = join(benchDir, 'scale.json');
  writeFileSync(saved, JSON.stringify(results, null, 1));
  if (!only && !quick) console.log(`wrote ${writeScaleSection(repoRoot, results).join(', ')}`);
  else console.log(`wrote ${saved} (BENCH_ONLY / BENCH_QUICK: docs unchanged)`);
  console.log(`bench:scale took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (process.env.BENCH_SCALE_REPORT_ONLY) {
  const results = JSON.parse(readFileSync(join(benchDir, 'scale.json'), 'utf8')) as ScaleResults;
  console.log(`wrote ${writeScaleSection(repoRoot, results).join(', ')}`);
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
