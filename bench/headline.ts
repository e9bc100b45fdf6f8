import type { BenchConfig } from './config.js';
import type { TargetResult } from './results.js';
import type { TargetId } from './targets.js';

/** The columns of the headline table: Pushwire's two streaming transports beside their anchors. */
const COLUMNS: TargetId[] = ['pushwire-websocket', 'ws', 'socketio-websocket', 'pushwire-sse', 'sse'];

const KB = 1024;

interface Row {
  name: string;
  digits: number;
  get(result: TargetResult): number | undefined;
}

function format(value: number | undefined, digits: number): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function rows(config: BenchConfig): Row[] {
  const rates = config.rates.flatMap(({ perSecond }, index): Row[] => [
    {
      name: `server CPU µs/delivery, ${perSecond} broadcasts/s, one message each`,
      digits: 2,
      get: (r) => r.rates?.[index]?.cpuMicrosPerDelivery,
    },
    { name: `latency p99 ms, ${perSecond} broadcasts/s`, digits: 1, get: (r) => r.rates?.[index]?.latency.p99 },
  ]);
  return [
    ...rates,
    { name: 'server CPU µs/delivery, fan-out batched (many messages per tick)', digits: 2, get: (r) => r.fanout?.cpuMicrosPerDelivery },
    { name: 'idle RSS KB/connection', digits: 1, get: (r) => r.memory && r.memory.rssPerConnection / KB },
    { name: 'idle heap KB/connection', digits: 1, get: (r) => r.memory && r.memory.heapPerConnection / KB },
    { name: 'connections/s', digits: 0, get: (r) => r.connect?.perSecond },
    { name: 'server CPU µs/connection', digits: 0, get: (r) => r.connect?.serverCpuMicros },
  ];
}

/** The headline table (markdown): fixed-rate figures first, then batched, memory and connect. */
export function headlineTable(results: TargetResult[], config: BenchConfig): string {
  const columns = COLUMNS.map((id) => results.find((r) => r.id === id && !r.unavailable && !r.error)).filter(
    (r): r is TargetResult => r !== undefined,
  );
  const lines = [`| | ${columns.map((c) => c.label).join(' | ')} |`, `| --- |${columns.map(() => ' ---: |').join('')}`];
  for (const row of rows(config)) {
    const values = columns.map((c) => row.get(c));
    if (values.every((v) => v === undefined)) continue;
    lines.push(`| ${row.name} | ${values.map((v) => format(v, row.digits)).join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Why each headline figure is what it is, from this run's own figures (so the reasons can't drift from
 * the numbers).
 */
export function headlineReasons(results: TargetResult[], config: BenchConfig): string[] {
  const get = (id: TargetId): TargetResult | undefined => results.find((r) => r.id === id && !r.unavailable && !r.error);
  const pw = get('pushwire-websocket');
  const ws = get('ws');
  const pwSse = get('pushwire-sse');
  const out: string[] = [];
  const first = config.rates[0];
  const rate = pw?.rates?.[0];
  const wsRate = ws?.rates?.[0];
  if (first && rate && wsRate) {
    out.push(
      `- **Fixed rate** (${first.perSecond}/s: ${(rate.cpuMicrosPerDelivery / wsRate.cpuMicrosPerDelivery).toFixed(2)}× plain \`ws\`'s CPU ` +
        `per delivery). One message per broadcast is one socket write per client for every server, so most of the figure is ` +
        `the kernel's TCP send, the same for all. Pushwire's frame is larger on the wire (${Math.round(rate.bytesPerDelivery)} against ` +
        `${Math.round(wsRate.bytesPerDelivery)} bytes per delivery, both directions: channel, epoch and sequence number in each \`m\` ` +
        `frame, and the receipts), and the server reads ${rate.clientFramesPerDelivery.toFixed(3)} client frames per delivery ` +
        `(receipts: each a socket read, a WebSocket frame and a JSON parse).`,
    );
    out.push(
      `- **Fixed-rate latency** is mostly the load process working through a broadcast: ${config.fanout.clients} messages arrive at once ` +
        `in one process, ${rate.loadCpuMicrosPerDelivery?.toFixed(1) ?? '?'} µs each for the Pushwire client against ` +
        `${wsRate.loadCpuMicrosPerDelivery?.toFixed(1) ?? '?'} µs for a bare \`ws\` \`onmessage\` + \`JSON.parse\`.`,
    );
  }
  if (pw?.fanout && ws?.fanout) {
    out.push(
      `- **Batched** (${(pw.fanout.cpuMicrosPerDelivery / ws.fanout.cpuMicrosPerDelivery).toFixed(2)}× plain \`ws\`): Pushwire corks each ` +
        `socket until the end of the tick, so all the messages a socket gets in one tick leave in one write, and a broadcast is ` +
        `framed once for every socket; plain \`ws\` frames and writes each \`send\`. That is a real saving where many messages ` +
        `leave in one tick, and none at a fixed rate of one message per broadcast.`,
    );
  }
  if (pw?.memory && ws?.memory) {
    out.push(
      `- **Idle memory** (WebSocket ${(pw.memory.heapPerConnection / ws.memory.heapPerConnection).toFixed(2)}× plain \`ws\`'s heap per ` +
        `connection${pwSse?.memory && get('sse')?.memory ? `, SSE ${(pwSse.memory.heapPerConnection / get('sse')!.memory!.heapPerConnection).toFixed(2)}× plain SSE's` : ''}): ` +
        `both keep what the socket library keeps per connection; Pushwire keeps its session besides (ids and secret, the ` +
        `subscription, the replay buffer's bookkeeping, the rate limiter, the memory account).`,
    );
  }
  return out;
}
