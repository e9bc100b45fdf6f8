import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesByModule, type ClientSizes, FULL_CLIENT_BUDGET, FULL_CLIENT_CEILING } from './bundle.js';
import type { BenchConfig } from './config.js';
import { barChartSvg } from './chart.js';
import type { FirstMessageResult, Machine, RateResult, TargetResult } from './results.js';
import { standing } from './standing.js';
import { headlineReasons, headlineTable } from './headline.js';
import { existingScaleSection, withScaleSection } from './scale-report.js';
import type { TargetId } from './targets.js';

interface Metric {
  section: string;
  name: string;
  /** lower or higher is better; used for the ratio's reading only. */
  better: 'lower' | 'higher';
  get(result: TargetResult): number | undefined;
  digits: number;
}

const KB = 1024;

/** The metrics of one fixed rate (the `index`-th of the config's rates). */
function rateMetrics(index: number, perSecond: number): Metric[] {
  const section = `fixed rate ${perSecond}/s`;
  const rate = (r: TargetResult): RateResult | undefined => r.rates?.[index];
  return [
    { section, name: 'server CPU µs/delivery', better: 'lower', digits: 2, get: (r) => rate(r)?.cpuMicrosPerDelivery },
    { section, name: 'latency p50 ms', better: 'lower', digits: 2, get: (r) => rate(r)?.latency.p50 },
    { section, name: 'latency p99 ms', better: 'lower', digits: 2, get: (r) => rate(r)?.latency.p99 },
    { section, name: 'load process CPU µs/delivery', better: 'lower', digits: 2, get: (r) => rate(r)?.loadCpuMicrosPerDelivery },
    { section, name: 'client frames/delivery', better: 'lower', digits: 4, get: (r) => rate(r)?.clientFramesPerDelivery },
    { section, name: 'HTTP requests/delivery', better: 'lower', digits: 3, get: (r) => rate(r)?.requestsPerDelivery },
    { section, name: 'wire bytes/delivery', better: 'lower', digits: 0, get: (r) => rate(r)?.bytesPerDelivery },
    { section, name: 'lost', better: 'lower', digits: 0, get: (r) => rate(r)?.lost },
    { section, name: 'duplicated', better: 'lower', digits: 0, get: (r) => rate(r)?.duplicated },
  ];
}

/** Every metric, the fixed rates (one message per broadcast) before fan-out (batched). */
export function metrics(config: BenchConfig): Metric[] {
  return [...CONNECT_METRICS, ...config.rates.flatMap((rate, index) => rateMetrics(index, rate.perSecond)), ...DELIVERY_METRICS];
}

const CONNECT_METRICS: Metric[] = [
  { section: 'connect', name: 'connections/s', better: 'higher', digits: 0, get: (r) => r.connect?.perSecond },
  { section: 'connect', name: 'server CPU µs/connection', better: 'lower', digits: 0, get: (r) => r.connect?.serverCpuMicros },
  { section: 'connect', name: 'load process CPU µs/connection', better: 'lower', digits: 0, get: (r) => r.connect?.loadCpuMicros },
  { section: 'connect', name: 'handshake p50 ms', better: 'lower', digits: 2, get: (r) => r.connect?.handshake.p50 },
  { section: 'connect', name: 'handshake p99 ms', better: 'lower', digits: 2, get: (r) => r.connect?.handshake.p99 },
  { section: 'connect', name: 'ready to receive p50 ms', better: 'lower', digits: 2, get: (r) => r.connect?.ready.p50 },
  { section: 'connect', name: 'first message p50 ms', better: 'lower', digits: 2, get: (r) => r.connect?.firstMessage?.summary.p50 },
  { section: 'connect', name: 'first message p99 ms', better: 'lower', digits: 2, get: (r) => r.connect?.firstMessage?.summary.p99 },
  {
    section: 'connect',
    name: 'first message, WebSocket refused p50 ms',
    better: 'lower',
    digits: 2,
    get: (r) => r.connect?.firstMessageWebSocketBlocked?.summary.p50,
  },
  {
    section: 'connect',
    name: 'first message, WebSocket refused p99 ms',
    better: 'lower',
    digits: 2,
    get: (r) => r.connect?.firstMessageWebSocketBlocked?.summary.p99,
  },
  {
    section: 'connect',
    name: 'first message, WebSocket unanswered p50 ms',
    better: 'lower',
    digits: 0,
    get: (r) => r.connect?.firstMessageWebSocketSwallowed?.summary.p50,
  },
  { section: 'idle memory', name: 'RSS KB/connection', better: 'lower', digits: 1, get: (r) => r.memory && r.memory.rssPerConnection / KB },
  {
    section: 'idle memory',
    name: 'heap KB/connection',
    better: 'lower',
    digits: 1,
    get: (r) => r.memory && r.memory.heapPerConnection / KB,
  },
  { section: 'idle memory', name: 'V8 new space MB', better: 'lower', digits: 1, get: (r) => r.memory?.newSpaceMB },
];

const DELIVERY_METRICS: Metric[] = [
  { section: 'fan-out (batched)', name: 'deliveries/s', better: 'higher', digits: 0, get: (r) => r.fanout?.deliveriesPerSecond },
  { section: 'fan-out (batched)', name: 'server CPU µs/delivery', better: 'lower', digits: 2, get: (r) => r.fanout?.cpuMicrosPerDelivery },
  {
    section: 'fan-out (batched)',
    name: 'load process CPU µs/delivery',
    better: 'lower',
    digits: 2,
    get: (r) => r.fanout?.loadCpuMicrosPerDelivery,
  },
  {
    section: 'fan-out (batched)',
    name: 'client frames/delivery',
    better: 'lower',
    digits: 4,
    get: (r) => r.fanout?.clientFramesPerDelivery,
  },
  { section: 'fan-out (batched)', name: 'latency p50 ms', better: 'lower', digits: 1, get: (r) => r.fanout?.latency.p50 },
  { section: 'fan-out (batched)', name: 'latency p99 ms', better: 'lower', digits: 1, get: (r) => r.fanout?.latency.p99 },
  { section: 'fan-out (batched)', name: 'lost', better: 'lower', digits: 0, get: (r) => r.fanout?.lost },
  { section: 'fan-out (batched)', name: 'duplicated', better: 'lower', digits: 0, get: (r) => r.fanout?.duplicated },
  { section: 'resume', name: 'all caught up ms', better: 'lower', digits: 0, get: (r) => r.resume?.allCaughtUpMs },
  { section: 'resume', name: 'attempt planned p50 ms', better: 'lower', digits: 0, get: (r) => r.resume?.plannedAttempt.p50 },
  { section: 'resume', name: 'attempt planned max ms', better: 'lower', digits: 0, get: (r) => r.resume?.plannedAttempt.max },
  { section: 'resume', name: 'reconnect p50 ms', better: 'lower', digits: 0, get: (r) => r.resume?.reconnect.p50 },
  { section: 'resume', name: 'reconnect p99 ms', better: 'lower', digits: 0, get: (r) => r.resume?.reconnect.p99 },
  { section: 'resume', name: 'peak reconnects/100 ms', better: 'lower', digits: 0, get: (r) => r.resume?.peakPer100ms },
  {
    section: 'resume',
    name: 'clients that saw a reconnect',
    better: 'higher',
    digits: 0,
    get: (r) => r.resume && r.resume.clients - r.resume.notReconnected,
  },
  { section: 'resume', name: 'sessions resumed', better: 'higher', digits: 0, get: (r) => r.resume?.resumed },
  { section: 'resume', name: 'lost', better: 'lower', digits: 0, get: (r) => r.resume?.lost },
  { section: 'resume', name: 'duplicated', better: 'lower', digits: 0, get: (r) => r.resume?.duplicated },
];

/** Which anchors each Pushwire transport is compared with. */
const ANCHORS: Partial<Record<TargetId, TargetId[]>> = {
  'pushwire-websocket': ['ws', 'socketio-websocket'],
  'pushwire-sse': ['sse'],
  'pushwire-long-polling': ['socketio-polling'],
};

function format(value: number | undefined, digits: number): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | undefined | null, b: number | undefined | null): string {
  // null: a NaN that went through results.json (BENCH_REPORT_ONLY).
  if (a === undefined || b === undefined || a === null || b === null || Number.isNaN(a) || Number.isNaN(b) || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

type Table = { head: string[]; rows: string[][] };

/** Every metric (rows) for every target that ran (columns). */
function measurementsTable(results: TargetResult[], config: BenchConfig): Table {
  const ran = results.filter((r) => !r.unavailable);
  const rows: string[][] = [];
  for (const metric of metrics(config)) {
    const values = ran.map((r) => metric.get(r));
    if (values.every((v) => v === undefined)) continue;
    rows.push([metric.section, metric.name, ...values.map((v) => format(v, metric.digits))]);
  }
  return { head: ['scenario', 'metric', ...ran.map((r) => r.label)], rows };
}

/** Each Pushwire transport against each of its anchors, metric by metric. */
function ratiosTable(results: TargetResult[], config: BenchConfig): Table {
  const byId = new Map(results.map((r) => [r.id, r]));
  const rows: string[][] = [];
  for (const [id, anchors] of Object.entries(ANCHORS) as [TargetId, TargetId[]][]) {
    const mine = byId.get(id);
    if (!mine || mine.unavailable) continue;
    for (const metric of metrics(config)) {
      if (metric.section === 'resume' || metric.name === 'lost' || metric.name === 'duplicated') continue;
      const value = metric.get(mine);
      if (value === undefined) continue;
      const cells = anchors.map((anchorId) => {
        const anchor = byId.get(anchorId);
        return anchor ? `${format(metric.get(anchor), metric.digits)} (${ratio(value, metric.get(anchor))})` : '–';
      });
      rows.push([mine.label, `${metric.section}: ${metric.name}`, format(value, metric.digits), cells.join(' · ')]);
    }
  }
  return { head: ['Pushwire', 'metric', 'value', 'anchor value (Pushwire ÷ anchor)'], rows };
}

interface TargetCheck {
  target: string;
  measured: string;
  status: 'met' | 'NOT met' | 'not measurable yet';
}

/** The issue's targets, read off this run. */
function checks(results: TargetResult[], config: BenchConfig): TargetCheck[] {
  const get = (id: TargetId): TargetResult | undefined => results.find((r) => r.id === id && !r.unavailable && !r.error);
  const out: TargetCheck[] = [];
  const check = (
    target: string,
    a: TargetId,
    b: TargetId,
    value: (r: TargetResult) => number | undefined,
    ok: (ratio: number) => boolean,
  ): void => {
    const x = get(a);
    const y = get(b);
    const vx = x && value(x);
    const vy = y && value(y);
    if (vx === undefined || vy === undefined) {
      out.push({ target, measured: `${x ? '' : `${a} `}${y ? '' : `${b} `}not measured`.trim(), status: 'not measurable yet' });
      return;
    }
    const r = vx / vy;
    out.push({ target, measured: `${r.toFixed(2)}× (${format(vx, 2)} vs ${format(vy, 2)})`, status: ok(r) ? 'met' : 'NOT met' });
  };
  // Issue 20: at fixed rates (one message per broadcast), idle memory, connect rate.
  config.rates.forEach(({ perSecond }, index) => {
    check(
      `WS ${perSecond}/s server CPU/delivery ≤ plain ws`,
      'pushwire-websocket',
      'ws',
      (r) => r.rates?.[index]?.cpuMicrosPerDelivery,
      (x) => x <= 1,
    );
    check(
      `WS ${perSecond}/s p99 latency ≤ 1.2× plain ws`,
      'pushwire-websocket',
      'ws',
      (r) => r.rates?.[index]?.latency.p99,
      (x) => x <= 1.2,
    );
    check(
      `SSE ${perSecond}/s server CPU/delivery ≤ plain SSE`,
      'pushwire-sse',
      'sse',
      (r) => r.rates?.[index]?.cpuMicrosPerDelivery,
      (x) => x <= 1,
    );
  });
  check(
    'WS idle RSS/connection ≤ 1.25× plain ws',
    'pushwire-websocket',
    'ws',
    (r) => r.memory?.rssPerConnection,
    (x) => x <= 1.25,
  );
  check(
    '(same, in live heap) WS idle heap/connection ≤ 1.25× plain ws',
    'pushwire-websocket',
    'ws',
    (r) => r.memory?.heapPerConnection,
    (x) => x <= 1.25,
  );
  check(
    'SSE idle RSS/connection ≤ plain SSE',
    'pushwire-sse',
    'sse',
    (r) => r.memory?.rssPerConnection,
    (x) => x <= 1,
  );
  check(
    '(same, in live heap) SSE idle heap/connection ≤ plain SSE',
    'pushwire-sse',
    'sse',
    (r) => r.memory?.heapPerConnection,
    (x) => x <= 1,
  );
  check(
    'WS connections/s ≥ 1.5× Socket.IO',
    'pushwire-websocket',
    'socketio-websocket',
    (r) => r.connect?.perSecond,
    (x) => x >= 1.5,
  );
  check(
    '(beside it) WS server CPU/connection ≤ Socket.IO',
    'pushwire-websocket',
    'socketio-websocket',
    (r) => r.connect?.serverCpuMicros,
    (x) => x <= 1,
  );
  // Batched (many messages per tick).
  check(
    'WS fan-out (batched) server CPU/delivery ≤ plain ws',
    'pushwire-websocket',
    'ws',
    (r) => r.fanout?.cpuMicrosPerDelivery,
    (x) => x <= 1,
  );
  check(
    'SSE fan-out (batched) server CPU/delivery ≤ plain SSE',
    'pushwire-sse',
    'sse',
    (r) => r.fanout?.cpuMicrosPerDelivery,
    (x) => x <= 1,
  );
  check(
    'LP fan-out (batched) deliveries/s ≥ Socket.IO polling',
    'pushwire-long-polling',
    'socketio-polling',
    (r) => r.fanout?.deliveriesPerSecond,
    (x) => x >= 1,
  );
  for (const id of ['pushwire-websocket', 'pushwire-sse', 'pushwire-long-polling'] as const) {
    const target = results.find((r) => r.id === id);
    if (!target || target.unavailable) continue;
    const resume = target.resume;
    out.push({
      target: `${target.label} resume after a mass drop: lost = duplicated = 0`,
      measured: resume
        ? `lost ${resume.lost}, duplicated ${resume.duplicated}; ${resume.clients - resume.notReconnected}/${resume.clients} clients saw a reconnect, ${resume.resumed} resumed their session`
        : 'not measured',
      status: !resume ? 'not measurable yet' : resume.lost === 0 && resume.duplicated === 0 ? 'met' : 'NOT met',
    });
  }
  const lossy = results.filter(
    (r) =>
      (r.fanout?.lost ?? 0) + (r.fanout?.duplicated ?? 0) + (r.rates ?? []).reduce((sum, rate) => sum + rate.lost + rate.duplicated, 0) > 0,
  );
  out.push({
    target: 'fan-out and fixed rate: lost = duplicated = 0 everywhere',
    measured: lossy.length ? `losses/duplicates in: ${lossy.map((r) => r.label).join(', ')}` : 'none',
    status: lossy.length ? 'NOT met' : 'met',
  });
  return out;
}

/** Which transport the clients of the WebSocket-refused run ended on (they should all have fallen back). */
function fallbackLine(results: TargetResult[]): string {
  const connect = results.find((r) => r.id === 'pushwire-websocket')?.connect;
  const ended = (result: FirstMessageResult | undefined): string =>
    result
      ? Object.entries(result.transports)
          .map(([name, count]) => `${name} ${count}`)
          .join(', ') || 'not reported'
      : 'not measured';
  if (!connect?.firstMessageWebSocketBlocked) return '';
  return `\nThe Pushwire clients ended on: with WebSocket refused ${ended(connect.firstMessageWebSocketBlocked)}; with WebSocket unanswered ${ended(connect.firstMessageWebSocketSwallowed)}.\n`;
}

function plain(table: Table): string {
  const widths = table.head.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

function markdown(table: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${table.head.map(esc).join(' | ')} |`,
    `|${table.head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function checksTable(results: TargetResult[], config: BenchConfig): Table {
  return { head: ['target', 'measured', 'status'], rows: checks(results, config).map((c) => [c.target, c.measured, c.status]) };
}

function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}; load average ${m.loadAverage.toFixed(1)} at the start${m.quick ? ' — QUICK MODE (smaller sizes)' : ''}`;
}

export function printReport(results: TargetResult[], info: Machine, config: BenchConfig): void {
  console.log(`\nMachine: ${machineLine(info)}`);
  console.log(
    `Sizes: connect ${config.connect.clients}, idle ${config.memory.clients}, fan-out ${config.fanout.clients} clients × ${config.fanout.messages} messages\n`,
  );
  console.log(plain(measurementsTable(results, config)));
  console.log(fallbackLine(results));
  console.log(plain(ratiosTable(results, config)));
  console.log('');
  console.log(plain(checksTable(results, config)));
  for (const r of results) {
    if (r.unavailable) console.log(`${r.label}: ${r.unavailable}`);
    if (r.error) console.log(`${r.label}: FAILED: ${r.error}`);
  }
}

export function writeReport(root: string, results: TargetResult[], info: Machine, config: BenchConfig, bundle: ClientSizes): string[] {
  const docs = join(root, 'docs');
  mkdirSync(docs, { recursive: true });
  const ran = results.filter((r) => !r.unavailable && !r.error);
  const svg = barChartSvg(
    [
      ...config.rates.map(({ perSecond }, index) => ({
        title: `${perSecond} broadcasts/s, one message each: server CPU per delivery (µs, lower is better)`,
        values: ran.map((r) => ({ label: r.label, value: r.rates?.[index]?.cpuMicrosPerDelivery })),
      })),
      {
        title: 'Fan-out, batched: server CPU per delivery (µs, lower is better)',
        values: ran.map((r) => ({ label: r.label, value: r.fanout?.cpuMicrosPerDelivery })),
      },
      {
        title: 'Idle RSS per connection (KB, lower is better)',
        values: ran.map((r) => ({ label: r.label, value: r.memory && r.memory.rssPerConnection / KB })),
      },
      { title: 'Connections per second (higher is better)', values: ran.map((r) => ({ label: r.label, value: r.connect?.perSecond })) },
      {
        title: 'Connect: server CPU per connection (µs, lower is better)',
        values: ran.map((r) => ({ label: r.label, value: r.connect?.serverCpuMicros })),
      },
      {
        title: `${config.rates[0]?.perSecond ?? '?'} broadcasts/s: latency p99 (ms, lower is better)`,
        values: ran.map((r) => ({ label: r.label, value: r.rates?.[0]?.latency.p99 })),
      },
    ],
    (label) => label.startsWith('Pushwire'),
  );
  const svgPath = join(docs, 'benchmarks.svg');
  writeFileSync(svgPath, svg);
  const unavailable = results.filter((r) => r.unavailable).map((r) => `- **${r.label}**: ${r.unavailable}`);
  const failed = results.filter((r) => r.error).map((r) => `- **${r.label}** failed: ${r.error}`);
  const md = `# Benchmarks

Generated by \`npm run bench\` on ${info.date}. Do not edit by hand: rerun the bench.

**Machine:** ${machineLine(info)}.

## Headline

Fixed rates first: one message per broadcast is what most applications do, and there nothing is
batched. Then the batched fan-out (many messages per tick), idle memory and connect.

${headlineTable(results, config)}

${headlineReasons(results, config).join('\n')}

![Benchmarks chart](benchmarks.svg)

## What runs

Each target runs in two fresh pairs of processes — a **server process** (the server under test, on
127.0.0.1, started with \`--expose-gc\`) and a **load process** (all the clients) — so the load generator
never shares an event loop or a heap with the server (it does share the machine's cores). Every figure about the server (CPU, memory, bytes)
is measured inside the server process; every figure about delivery (latency, loss) inside the load process.

- **Targets**: Pushwire (its real client and reference server, one transport forced), plain \`ws\` (the server
  \`send\`s the JSON string to each open socket), a plain Node SSE server (\`res.write\` of each event to each
  response), Socket.IO 4.8 with \`transports: ['websocket']\` and with \`transports: ['polling']\` (\`io.emit\`).
- **Messages**: ~${100}-byte JSON \`{i, t, p}\` (index, send time, padding), serialized once per broadcast by every
  server. \`t\` comes from \`process.hrtime\` = CLOCK_MONOTONIC, one clock for both processes, so latency is
  receive time − send time across processes.
- **connect**: ${config.connect.rounds} rounds of ${config.connect.clients} clients, ${config.connect.concurrency} handshakes in flight at a time; the fastest round is
  reported, server CPU per connection (handshake included) and load process CPU per connection (the client
  library's side of it: connections/s is bounded by whichever process is busier) are averaged over all rounds. Handshake = until the client library
  reports open (Pushwire: \`welcome\`; Socket.IO: \`connect\`; SSE: response headers); ready = can receive
  broadcasts (Pushwire: subscription confirmed; the others: same as handshake).
- **first message**: ${config.firstMessage.clients} more clients, ${config.firstMessage.concurrency} at a time, each timed from its creation to its first
  message while the server broadcasts every ${config.firstMessage.tickMs} ms (so up to that much of it is waiting for the next
  broadcast), each closed once it has it. **WebSocket refused**: the same in the Pushwire WS column's pair after
  its server starts answering every WebSocket upgrade with 403, as a proxy that blocks WebSocket would,
  for the client as an application gets it from \`connect\` (WebSocket, then SSE, then long-polling):
  it tries WebSocket, is refused, and falls back at once. **WebSocket unanswered**: then the server
  leaves every upgrade request unanswered (a proxy that swallows it), ${config.firstMessage.swallowedClients} clients at once: the client
  falls back when its WebSocket connect timeout (\`connectTimeout\`, default 4 s for WebSocket) expires,
  and transport memory makes that a first-visit cost. Socket.IO's client starts on polling by default, so its polling column is what it
  gives where WebSocket is blocked.
- **idle memory**: RSS and heap of the server process after forced GCs, with ${config.memory.clients} idle connected
  clients (Pushwire: each subscribed to one channel) minus the same before any client, divided by ${config.memory.clients};
  measured 14 s after the last client connected: past the server's HTTP keep-alive timeout (5 s) after
  the first receipts (over SSE/long-polling up to 4.5 s in), so idle request connections an HTTP client
  keeps for a while (Pushwire SSE's receipt POSTs) are gone, and long enough without activity for V8 to
  shrink the young generation where it does.
- **HTTP clients**: each simulated client has its own keep-alive connections, as a browser would. The
  Pushwire client's \`fetch\` in the load process is a minimal one on \`node:http\` (bench/clients/http-fetch.ts):
  Node's built-in fetch (undici) made the load process the bottleneck of SSE and long-polling (one
  shared pool scanned per request, and several times the CPU per request). Socket.IO's Node client is
  on \`node:http\` too (xmlhttprequest-ssl), with a keep-alive agent per client (without one it opens a TCP
  connection per poll).
- **fan-out (batched)**: ${config.fanout.clients} clients; the server broadcasts ${config.fanout.messages} messages as fast as a window of
  ${config.fanout.window} messages not yet received by every client allows (the load process reports progress over IPC).
  Server CPU = \`process.cpuUsage()\` (user + system) of the server process over the run ÷ deliveries. On a
  2-core machine the load process saturates a core, so deliveries/s measures the load generator as much as
  the server; **CPU per delivery is the figure that compares servers**. Pushwire's CPU includes handling
  the clients' receipts (for channel messages an \`ack\` every 128 frames over WebSocket, 512 over SSE and
  long-polling, where each is a POST, and a \`pong\` when the server pings: ${config.fanout.messages} messages make
  every client send some within the run) and its per-session replay buffer.
- **fixed rate** (run first, on the same clients, 2 s after they are all subscribed): ${config.rates
    .map((r) => `${r.messages} broadcasts at ${r.perSecond}/s`)
    .join(', then ')}, one message per broadcast — what most applications do, and where nothing is
  batched: each broadcast is one write per socket. Server CPU per delivery as in fan-out; latency without
  queueing in the server; wire bytes (both directions, all TCP connections of the server) and HTTP
  requests per delivered message.
- **resume** (Pushwire only; plain ws/SSE have no resume, Socket.IO's \`connectionStateRecovery\` is not
  measured here): ${config.resume.messages} broadcasts at ${config.resume.perSecond}/s; after ${config.resume.dropAfterMs} ms the server destroys every TCP
  connection at once. Attempt planned = when the client's backoff (full jitter) scheduled its first attempt after
  the drop; reconnect = time from the drop to the client's next \`open\`; caught up = when the client
  has received every message published before its reconnection. Lost/duplicated are checked per client
  on message indexes. (A long-polling client whose poll is cut polls once more at once; it reconnects only if that fails too, or if a receipt POST failed on a cut connection.)

## Reading the numbers

- **Server CPU per delivery is the figure that compares servers.** Deliveries/s and latency are measured
  through the load process, which holds all clients in one Node process on the same small machine: when a
  server is cheap, the load process becomes the bottleneck and queues, and its latency grows with the
  window. A library's client also costs what it costs there (the Pushwire client does more per message
  than a bare \`ws\` \`onmessage\` + \`JSON.parse\`: receipts, sequence checks, dispatch). "Load process CPU"
  (per connection, per delivery) shows that share: where it is well above the server's, connections/s,
  deliveries/s and latency measure the client library at least as much as the server.
- Fixed-rate latency is not free of that either: one broadcast is ${config.fanout.clients} messages arriving at
  once in one process, so p50/p99 are mostly the time the load process needs to work through them.
- **RSS per connection can include V8's young generation**, which grows with the allocation rate while
  the clients connect and shrinks again once the process has been quiet for a while (see "V8 new space
  MB"): 16 MB of extra new space is ~8 KB "per connection" of ${config.memory.clients}. V8 shrinks it only on
  a scavenge at a low allocation rate, so where the connection burst grew it and nothing allocates
  afterwards it stays (a forced GC does not shrink it). Subtracting its growth from the RSS growth was
  tried and is no better: between the two measurements it shrinks as often as it grows, and its
  committed size is not all resident. Heap per connection (live objects after GC) is the precise
  figure of retained state.
- **Receipts**: a Pushwire client acknowledges channel messages after 128 of them (512 over SSE and
  long-polling, where each receipt is an HTTP POST) and with the \`pong\` to every server \`ping\`: the
  heartbeat (every 25 s), or the server asking once a session holds 64 KiB unacknowledged (PROTOCOL.md
  SC6). A broadcast frame is held once for all its subscribers, so at a low fixed rate the server reads
  almost no receipts (see "client frames/delivery"); frames a session holds alone (\`subd\`, \`msg\`, \`res\`…)
  get a receipt about 1 s after (3 s over HTTP).
- The machine is shared; the load average above says how busy it was. Ratios within one run are
  meaningful, absolute figures less so. Rerun on a quiet machine for publishable numbers.

## Server hot path (what makes Pushwire's WebSocket fan-out cheap)

- A broadcast is serialized once (one \`m\` frame for every subscriber, per-channel sequence numbers) and
  **framed once**: the WebSocket frame bytes are built on first use and cached on the frame
  (\`OutFrame.encoded\`), then the same buffer is written to every subscriber's TCP socket
  (\`src/server/transports/websocket.ts\`, \`websocket-frame.ts\`), where plain \`ws\` \`send\` encodes the
  string and builds a header per socket.
- **Write batching**: a connection's socket is corked at its first write in a tick and uncorked at the
  end of the tick (after the synchronous work and its promise chains, before any I/O), after the
  session's cumulative ack of that tick was added: a handshake's \`welcome\` + \`subd\` + \`ack\`, a burst of
  fan-out frames or a replay leave as one write.
- **Connect**: on its first connection the client sends its queued \`sub\` frames right behind \`hello\`,
  so \`welcome\` and \`subd\` come back together: one round trip from hello to ready.
- **SSE**: the event bytes (\`data: …\\n\\n\`) are made once per frame and cached like the WebSocket frame,
  and the stream is not chunked (it ends with its connection), so an event is one socket write of shared
  bytes where \`res.write\` of a string with chunked framing is four.
- Per delivery the session layer does a bounded-buffer push: the reliable frame is kept until the
  client's receipt, which for channel messages comes after 128 of them or with a \`pong\` (the server
  pings every 25 s, and asks sooner once a session holds 64 KiB: PROTOCOL.md SC6). Both costs are inside
  the CPU figures above; "client frames/delivery" shows the receipts — each costs a socket read, a
  WebSocket frame parse and a JSON parse on the server, so they are kept rare while the stream is
  healthy instead of one per client per second.

## Measurements

${markdown(measurementsTable(results, config))}
${fallbackLine(results)}

## Pushwire against its anchors

${markdown(ratiosTable(results, config))}

## Targets

${markdown(checksTable(results, config))}

One run on a shared 2-core machine: a ratio within a few tens of percent of its threshold can land on
either side in the next run (CPU per delivery and latency both move with what else the machine runs).
Compare several runs before calling such a target met or missed. Where the load process CPU is well
above the server's, the target measures the client library as much as the server (see "Reading the
numbers").
${(() => {
  const lines = standing(results, config);
  return lines.length ? `\n### What bounds the targets not met in this run\n\n${lines.join('\n')}\n` : '';
})()}
${unavailable.length ? `## Not yet available\n\n${unavailable.join('\n')}\n\nThese scenarios run automatically once the client exports the transport (see \`bench/clients/pushwire-transports.ts\`).\n` : ''}
${failed.length ? `## Failures\n\n${failed.join('\n')}\n` : ''}
## Client bundle size

esbuild \`--minify\`, then gzip level 9 (as the reference sizes: socket.io-client 13.0 KB, @microsoft/signalr
14.3 KB, sockjs-client 16.6 KB, centrifuge 23.5 KB, phoenix 7.6 KB). Checked against the budget in the test
suite (\`test/unit/bundle-size.test.ts\`); \`npm run bundle-size\` shows where the bytes go.

| bundle | minified | min+gzip |
| --- | ---: | ---: |
| full client, every export (ESM) | ${bundle.full.minified} B | **${bundle.full.gzip} B** |
| full client, IIFE (\`window.Pushwire\`) | ${bundle.iife.minified} B | ${bundle.iife.gzip} B |
| \`PushwireClient\` without any transport | ${bundle.core.minified} B | ${bundle.core.gzip} B |
${bundle.withTransport.map((t) => `| \`PushwireClient\` + ${t.name} | ${t.minified} B | ${t.gzip} B (+${t.gzip - bundle.core.gzip} B) |`).join('\n')}

Budget ${FULL_CLIENT_BUDGET} B (6 KiB) for the full client: ${
    bundle.full.gzip <= FULL_CLIENT_BUDGET
      ? `**${FULL_CLIENT_BUDGET - bundle.full.gzip} B of headroom**.`
      : `**over by ${bundle.full.gzip - FULL_CLIENT_BUDGET} B** (the test holds a ceiling of ${FULL_CLIENT_CEILING} B until cuts land; \`npm run bundle-size\` estimates the cuts).`
  } Largest modules (minified bytes): ${bytesByModule(bundle.full)
    .slice(0, 4)
    .map((m) => `\`${m.module.replace(/^src\/client\//, '')}\` ${m.bytes} B`)
    .join(', ')}.

## Running it

\`\`\`sh
npm run bench                     # everything, ~5–10 minutes; rewrites this file
BENCH_QUICK=1 npm run bench       # smaller sizes, for iteration
BENCH_ONLY=pushwire-websocket,ws npm run bench   # some targets only (does not rewrite this file)
BENCH_SCENARIOS=connect npm run bench          # connect + idle memory only, or delivery only (does not rewrite this file)
BENCH_CPU_PROF=1 npm run bench    # also write V8 CPU profiles of every bench process to bench/.out/profiles/
BENCH_REPORT_ONLY=1 sh bench/run.sh              # rewrite this file from the last run's bench/.out/results.json
\`\`\`

The script raises the open-file limit (\`ulimit -n\`) if it is below what the largest scenario needs.
`;
  const mdPath = join(docs, 'BENCHMARKS.md');
  // The scale section is bench:scale's: kept as the last run of it wrote it.
  const scale = existsSync(mdPath) ? existingScaleSection(readFileSync(mdPath, 'utf8')) : null;
  writeFileSync(mdPath, scale ? withScaleSection(md, scale) : md);
  return [mdPath, svgPath];
}
