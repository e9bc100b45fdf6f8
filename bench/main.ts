/**
 * `npm run bench`: the same scenarios against Pushwire and the anchors (plain ws, plain SSE,
 * Socket.IO), each with the server and the load generator in separate processes on 127.0.0.1.
 * Prints the tables and writes docs/BENCHMARKS.md with a chart.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { sleep } from './clock.js';
import { benchConfig, type BenchConfig, neededFileDescriptors } from './config.js';
import type { Peer } from './ipc.js';
import { benchDir as here, repoRoot as root, spawnBenchProcess } from './processes.js';
import { clientSizes } from './bundle.js';
import { printReport, writeReport } from './report.js';
import type { ClientKind } from './clients/client.js';
import type {
  ConnectResult,
  FanoutResult,
  FirstMessageResult,
  Machine,
  MemoryResult,
  RateResult,
  ResumeResult,
  TargetResult,
} from './results.js';
import type { Summary } from './stats.js';
import { allTargets, type Target } from './targets.js';

/** How long the idle-memory clients sit before the measurement (see connectAndMemory). */
const IDLE_SETTLE_MS = 14_000;

interface Pair {
  server: Peer;
  load: Peer;
  url: string;
}

function openFileLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = /Max open files\s+(\S+)/.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

async function startPair(target: Target): Promise<Pair> {
  const server = spawnBenchProcess('server-process.js', `${target.id} server`);
  const load = spawnBenchProcess('load-process.js', `${target.id} load`);
  // Fan-out flow control: the load process says which messages every client has; the server keeps a window.
  load.on('progress', (event) => server.notify('progress', { done: event.done }));
  const { port } = await server.request<{ re: number; port: number }>('start', { kind: target.server });
  return { server, load, url: `http://127.0.0.1:${port}` };
}

async function stopPair(pair: Pair): Promise<void> {
  await pair.load.request('closeAll', {}, 10_000).catch(() => {});
  await pair.server.request('stop', {}, 10_000).catch(() => {});
  if (pair.load.child.connected) pair.load.child.disconnect(); // it exits on disconnect
  await pair.load.exited(5_000);
  pair.load.kill();
  await pair.server.exited(5_000); // it exits on its own after `stop` (and writes its CPU profile if asked)
  pair.server.kill();
}

type Reply<T> = T & { re: number };

async function connectClients(pair: Pair, target: Target, n: number, concurrency: number): Promise<ConnectResult> {
  const reply = await pair.load.request<Reply<Omit<ConnectResult, 'clients'> & { elapsedMs: number }>>(
    'connect',
    { kind: target.client, url: pair.url, n, concurrency },
    120_000,
  );
  if (reply.failed > 0) throw new Error(`${reply.failed} of ${n} clients failed to connect`);
  return {
    clients: n,
    perSecond: reply.perSecond,
    serverCpuMicros: Number.NaN,
    loadCpuMicros: reply.loadCpuMicros,
    handshake: reply.handshake,
    ready: reply.ready,
    failed: reply.failed,
  };
}

interface ExpectReply {
  complete: boolean;
  received: number;
  lost: number;
  duplicated: number;
  elapsedMs: number;
  /** Load process CPU while it waited for the messages, µs. */
  loadCpuMicros: number;
  latency: Summary;
}

/**
 * Starts the load process's count of messages 0..count-1 and resolves once it is listening, with the
 * final count to await (wrapped: an async function returning a bare promise would wait for it).
 */
async function expect(pair: Pair, count: number, timeoutMs: number): Promise<{ done: Promise<Reply<ExpectReply>> }> {
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  pair.load.on('expecting', () => listening());
  const done = pair.load.request<Reply<ExpectReply>>('expect', { count, timeoutMs }, timeoutMs + 30_000);
  await ready;
  return { done };
}

async function cpuMicros(pair: Pair): Promise<number> {
  return (await serverCounters(pair)).cpu;
}

/** Server CPU so far (µs) and frames received from clients (where the server counts them). */
async function serverCounters(pair: Pair): Promise<{ cpu: number; framesIn: number }> {
  const { user, system, framesIn } = await pair.server.request<Reply<{ user: number; system: number; framesIn: number | null }>>('cpu');
  return { cpu: user + system, framesIn: framesIn ?? Number.NaN };
}

async function connectAndMemory(target: Target, config: BenchConfig): Promise<{ connect: ConnectResult; memory: MemoryResult }> {
  const pair = await startPair(target);
  try {
    const before = await pair.server.request<Reply<{ rss: number; heapUsed: number; newSpace: number }>>('memory');
    // Connect rounds: the fastest is reported (other work on a shared machine only ever slows a round
    // down); server CPU per connection is averaged over all of them.
    const { clients, concurrency, rounds } = config.connect;
    if (clients * rounds > config.memory.clients) throw new Error('connect rounds exceed the idle-memory connection count');
    const cpu0 = await cpuMicros(pair);
    let connect: ConnectResult | undefined;
    let loadCpu = 0;
    for (let round = 0; round < rounds; round++) {
      const result = await connectClients(pair, target, clients, concurrency);
      loadCpu += result.loadCpuMicros ?? Number.NaN;
      if (!connect || result.perSecond > connect.perSecond) connect = result;
    }
    connect!.serverCpuMicros = ((await cpuMicros(pair)) - cpu0) / (clients * rounds);
    connect!.loadCpuMicros = loadCpu / (clients * rounds);
    await connectClients(pair, target, config.memory.clients - clients * rounds, 50);
    // Idle = steady state: handshakes settled, Pushwire clients' first receipt sent (WebSocket 0.5–1.5 s,
    // SSE/long-polling 1.5–4.5 s), past the HTTP keep-alive timeout (Node's default 5 s) after which the
    // server closes the idle request connections an HTTP client keeps (the receipt POSTs of SSE), and
    // long enough without activity for V8 to shrink the young generation where it does (seen after 6–10 s).
    await sleep(IDLE_SETTLE_MS);
    const after = await pair.server.request<Reply<{ rss: number; heapUsed: number; newSpace: number; connections: number }>>('memory');
    if (after.connections !== config.memory.clients)
      throw new Error(`server sees ${after.connections} of ${config.memory.clients} connections`);
    const n = config.memory.clients;
    await pair.load.request('closeAll', {}, 30_000);
    connect!.firstMessage = await firstMessage(pair, target.client, config);
    if (target.id === 'pushwire-websocket') {
      // A proxy blocks WebSocket: the client as an application gets it (every transport) falls back —
      // at once when the upgrade is refused, after its WebSocket connect timeout when it is swallowed.
      await pair.server.request('blockUpgrades', { mode: 'refuse' });
      connect!.firstMessageWebSocketBlocked = await firstMessage(pair, 'pushwire-any', config);
      await pair.server.request('blockUpgrades', { mode: 'swallow' });
      const { swallowedClients } = config.firstMessage;
      connect!.firstMessageWebSocketSwallowed = await firstMessage(pair, 'pushwire-any', config, swallowedClients, swallowedClients);
    }
    return {
      connect: connect!,
      memory: {
        connections: n,
        rssPerConnection: (after.rss - before.rss) / n,
        heapPerConnection: (after.heapUsed - before.heapUsed) / n,
        newSpaceMB: after.newSpace / 1e6,
      },
    };
  } finally {
    await stopPair(pair);
  }
}

/** Time from creating a client to its first message, while the server broadcasts every few ms. */
async function firstMessage(
  pair: Pair,
  kind: ClientKind,
  config: BenchConfig,
  clients = config.firstMessage.clients,
  concurrency = config.firstMessage.concurrency,
): Promise<FirstMessageResult> {
  const { tickMs } = config.firstMessage;
  await pair.server.request('tick', { everyMs: tickMs });
  try {
    const reply = await pair.load.request<Reply<{ firstMessage: Summary; transports: Record<string, number>; failed: number }>>(
      'firstMessage',
      { kind, url: pair.url, n: clients, concurrency },
      120_000,
    );
    if (reply.failed > 0) throw new Error(`${reply.failed} of ${clients} clients got no first message`);
    return { summary: reply.firstMessage, transports: reply.transports };
  } finally {
    await pair.server.request('untick');
  }
}

/** One fixed rate: `messages` broadcasts, one message each, `perSecond` apart — latency without queueing. */
async function fixedRate(pair: Pair, perSecond: number, messages: number): Promise<RateResult> {
  const counted = await expect(pair, messages, 30_000 + (messages / perSecond) * 1000);
  const net0 = await pair.server.request<Reply<{ requests: number; bytesWritten: number; bytesRead: number }>>('net');
  const before = await serverCounters(pair);
  await pair.server.request('rate', { count: messages, rate: perSecond }, 120_000);
  const fixed = await counted.done;
  const after = await serverCounters(pair);
  const net1 = await pair.server.request<Reply<{ requests: number; bytesWritten: number; bytesRead: number }>>('net');
  return {
    perSecond,
    messages,
    lost: fixed.lost,
    duplicated: fixed.duplicated,
    latency: fixed.latency,
    cpuMicrosPerDelivery: (after.cpu - before.cpu) / fixed.received,
    loadCpuMicrosPerDelivery: fixed.loadCpuMicros / fixed.received,
    clientFramesPerDelivery: (after.framesIn - before.framesIn) / fixed.received,
    requestsPerDelivery: (net1.requests - net0.requests) / fixed.received,
    bytesPerDelivery: (net1.bytesWritten - net0.bytesWritten + net1.bytesRead - net0.bytesRead) / fixed.received,
  };
}

/**
 * Delivery to the same connected clients: the fixed rates first (one message per broadcast, what most
 * applications do), then fan-out (batched: many messages leave in one tick), then resume.
 */
async function delivery(
  target: Target,
  config: BenchConfig,
  ratesOnly: boolean,
): Promise<{ rates: RateResult[]; fanout?: FanoutResult; resume?: ResumeResult }> {
  const pair = await startPair(target);
  try {
    const clients = config.fanout.clients;
    await connectClients(pair, target, clients, 50);
    await pair.server.request('memory'); // a full GC now rather than during the measurement
    // Past the clients' first receipts and the handshake's garbage: the fixed rates measure a steady stream.
    await sleep(2000);

    const rates: RateResult[] = [];
    const profile = process.env.BENCH_CPU_PROF === 'rate';
    for (const { perSecond, messages } of config.rates) {
      if (profile) await pair.server.request('profileStart');
      rates.push(await fixedRate(pair, perSecond, messages));
      if (profile) {
        mkdirSync(join(here, 'profiles'), { recursive: true });
        await pair.server.request('profileStop', { path: join(here, 'profiles', `${target.id}-server-${perSecond}per-s.cpuprofile`) });
      }
      await sleep(300);
    }
    if (ratesOnly) return { rates };

    // Fan-out: as fast as a window of 32 undelivered messages allows.
    const { messages, window, timeoutMs } = config.fanout;
    const counted = await expect(pair, messages, timeoutMs);
    const start = await serverCounters(pair);
    await pair.server.request('fanout', { count: messages, window }, timeoutMs + 10_000);
    const fan = await counted.done;
    const end = await serverCounters(pair);
    const fanout: FanoutResult = {
      clients,
      messages,
      complete: fan.complete,
      received: fan.received,
      lost: fan.lost,
      duplicated: fan.duplicated,
      deliveriesPerSecond: fan.received / (fan.elapsedMs / 1000),
      latency: fan.latency,
      cpuMicrosPerDelivery: (end.cpu - start.cpu) / fan.received,
      loadCpuMicrosPerDelivery: fan.loadCpuMicros / fan.received,
      clientFramesPerDelivery: (end.framesIn - start.framesIn) / fan.received,
    };
    if (!target.resumable) return { rates, fanout };

    // Resume: every connection cut at once while messages keep flowing.
    await sleep(300);
    const r = config.resume;
    const resumeCounted = await expect(pair, r.messages, r.timeoutMs);
    const publishing = pair.server.request('rate', { count: r.messages, rate: r.perSecond }, 120_000);
    await sleep(r.dropAfterMs);
    const { at: dropAt } = await pair.server.request<Reply<{ at: number }>>('drop');
    await publishing;
    const resumed = await resumeCounted.done;
    const report = await pair.load.request<Reply<Omit<ResumeResult, 'clients' | 'lost' | 'duplicated' | 'allCaughtUpMs'>>>('resumeReport', {
      dropAt,
    });
    const resume: ResumeResult = {
      clients,
      lost: resumed.lost,
      duplicated: resumed.duplicated,
      resumed: report.resumed,
      notReconnected: report.notReconnected,
      allCaughtUpMs: report.caughtUp.max,
      caughtUp: report.caughtUp,
      reconnect: report.reconnect,
      plannedAttempt: report.plannedAttempt,
      peakPer100ms: report.peakPer100ms,
    };
    return { rates, fanout, resume };
  } finally {
    await stopPair(pair);
  }
}

function machine(config: BenchConfig, loadAverage: number): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverage,
    quick: config.quick,
  };
}

/** The last run's results, kept so the report can be rewritten without rerunning (BENCH_REPORT_ONLY=1). */
const savedResults = join(here, 'results.json');

async function main(): Promise<void> {
  if (process.env.BENCH_REPORT_ONLY) {
    const saved = JSON.parse(readFileSync(savedResults, 'utf8')) as { results: TargetResult[]; info: Machine; config: BenchConfig };
    printReport(saved.results, saved.info, saved.config);
    console.log(`\nwrote ${writeReport(root, saved.results, saved.info, saved.config, await clientSizes(root)).join(', ')}`);
    return;
  }
  const config = benchConfig();
  const fds = openFileLimit();
  const needed = neededFileDescriptors(config);
  if (fds < needed)
    throw new Error(
      `open-file limit is ${fds}, the bench needs ${needed}: run it through \`npm run bench\` (which raises it) or \`ulimit -n ${needed}\``,
    );
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  const results: TargetResult[] = [];
  for (const target of allTargets()) {
    if (config.only && !config.only.includes(target.id)) continue;
    const result: TargetResult = { id: target.id, label: target.label, unavailable: target.unavailable };
    results.push(result);
    if (target.unavailable) {
      console.log(`- ${target.label}: ${target.unavailable}`);
      continue;
    }
    const t0 = performance.now();
    try {
      if (config.scenarios.includes('connect')) Object.assign(result, await connectAndMemory(target, config));
      if (config.scenarios.includes('delivery') || config.scenarios.includes('rate'))
        Object.assign(result, await delivery(target, config, !config.scenarios.includes('delivery')));
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
    }
    console.log(
      `- ${target.label}: ${result.error ? `FAILED: ${result.error}` : 'done'} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  const info = machine(config, loadAtStart);
  if (process.env.BENCH_DEBUG) console.log(JSON.stringify(results, null, 1));
  printReport(results, info, config);
  writeFileSync(savedResults, JSON.stringify({ results, info, config }));
  if (!config.only && config.scenarios.includes('connect') && config.scenarios.includes('delivery')) {
    const written = writeReport(root, results, info, config, await clientSizes(root));
    console.log(`\nwrote ${written.join(', ')}`);
  }
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
