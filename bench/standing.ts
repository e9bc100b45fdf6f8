import type { BenchConfig } from './config.js';
import type { TargetResult } from './results.js';
import type { TargetId } from './targets.js';

const KB = 1024;
const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');
const n1 = (x: number): string => x.toFixed(1);
const times = (x: number): string => `${x.toFixed(2)}×`;

/**
 * For each target this run did not meet, what bounds it, worked out from this run's own figures (so the
 * explanation can't drift from the numbers above it). A target that was met gets no paragraph.
 */
export function standing(results: TargetResult[], config: BenchConfig): string[] {
  const get = (id: TargetId): TargetResult | undefined => results.find((r) => r.id === id && !r.unavailable && !r.error);
  const out: string[] = [];
  const pwWs = get('pushwire-websocket');
  const pwSse = get('pushwire-sse');
  const pwLp = get('pushwire-long-polling');
  const ws = get('ws');
  const sse = get('sse');
  const sioWs = get('socketio-websocket');
  const sioPoll = get('socketio-polling');

  // Connect: each process has about one core; a handshake costs CPU in both, so the busier one sets the pace.
  const c = pwWs?.connect;
  const sc = sioWs?.connect;
  const wc = ws?.connect;
  if (c && sc && wc && c.perSecond < 2 * sc.perSecond && c.loadCpuMicros !== undefined && wc.loadCpuMicros !== undefined) {
    const need = 1e6 / (2 * sc.perSecond);
    out.push(
      `- **Connect rate** (${times(c.perSecond / sc.perSecond)} Socket.IO over WebSocket, target 2×). Connections/s is bounded by the ` +
        `busier of the two processes, each with about one core: Pushwire ${n0(c.serverCpuMicros)} µs server / ${n0(c.loadCpuMicros)} µs ` +
        `load process per connection. 2× Socket.IO (${n0(2 * sc.perSecond)}/s) needs both under ~${n0(need)} µs, but the bare \`ws\` ` +
        `client already costs ${n0(wc.loadCpuMicros)} µs in the load process (the Pushwire client runs on it), and plain \`ws\` itself ` +
        `reached ${times(wc.perSecond / sc.perSecond)} Socket.IO here. Out of reach on this machine for any client built on \`ws\`; ` +
        `the server side is measured in "server CPU µs/connection".`,
    );
  }

  // Fan-out latency: with a window of undelivered messages, a server faster than its consumer fills the
  // window, and latency is the queue (Little's law) — the slower server never fills it.
  const f = pwWs?.fanout;
  const wf = ws?.fanout;
  if (f && wf && f.latency.p99 > 1.2 * wf.latency.p99) {
    const queue = (config.fanout.window * config.fanout.clients * 1000) / f.deliveriesPerSecond;
    out.push(
      `- **WebSocket fan-out p99** (${times(f.latency.p99 / wf.latency.p99)} plain \`ws\`, target 1.2×). The server broadcasts while fewer ` +
        `than ${config.fanout.window} messages are undelivered: where the load process is the slower side (Pushwire: ${f.loadCpuMicrosPerDelivery?.toFixed(2) ?? '?'} µs ` +
        `of load CPU per delivery against ${f.cpuMicrosPerDelivery.toFixed(2)} µs of server CPU) the window fills and latency is the queue, up to ` +
        `${config.fanout.window} × ${config.fanout.clients} ÷ ${n0(f.deliveriesPerSecond)}/s ≈ ${n0(queue)} ms with the window full (measured p99 ${n1(f.latency.p99)} ms). ` +
        `Plain \`ws\`'s pair is balanced the other way (${wf.cpuMicrosPerDelivery.toFixed(2)} µs server, ${wf.loadCpuMicrosPerDelivery?.toFixed(2) ?? '?'} µs load CPU per ` +
        `delivery): a server no faster than its consumer keeps the queue short, at ${times(wf.deliveriesPerSecond / f.deliveriesPerSecond)} Pushwire's deliveries/s. ` +
        `Without queueing, at the fixed rate, p99 is ${pwWs?.rates?.[0] && ws?.rates?.[0] ? times(pwWs.rates[0].latency.p99 / ws.rates[0].latency.p99) : '?'} plain \`ws\`'s.`,
    );
  }

  // Fixed-rate latency: one broadcast is `clients` messages arriving at once in the load process.
  const r0 = pwWs?.rates?.[0];
  const wr = ws?.rates?.[0];
  if (
    r0 &&
    wr &&
    r0.latency.p99 > 1.2 * wr.latency.p99 &&
    r0.loadCpuMicrosPerDelivery !== undefined &&
    wr.loadCpuMicrosPerDelivery !== undefined
  ) {
    const burst = (micros: number): string => n1((micros * config.fanout.clients) / 1000);
    out.push(
      `- **WebSocket fixed-rate p99** (${times(r0.latency.p99 / wr.latency.p99)} plain \`ws\`, target 1.2×). Each broadcast is ` +
        `${config.fanout.clients} messages arriving at once in one load process, so p99 is about the time to work through the burst: ` +
        `${config.fanout.clients} × ${r0.loadCpuMicrosPerDelivery.toFixed(1)} µs ≈ ${burst(r0.loadCpuMicrosPerDelivery)} ms for the Pushwire client ` +
        `(sequence checks, receipts, dispatch) against ${burst(wr.loadCpuMicrosPerDelivery)} ms for a bare \`onmessage\` + \`JSON.parse\`; ` +
        `the server's side is ${times(r0.cpuMicrosPerDelivery / wr.cpuMicrosPerDelivery)} plain \`ws\`'s CPU per delivery.`,
    );
  }

  const ff = pwSse?.fanout;
  const sf = sse?.fanout;
  if (ff && sf && ff.cpuMicrosPerDelivery > sf.cpuMicrosPerDelivery) {
    out.push(
      `- **SSE fan-out CPU** (${times(ff.cpuMicrosPerDelivery / sf.cpuMicrosPerDelivery)} plain SSE). Pushwire's figure includes the receipts ` +
        `(${ff.clientFramesPerDelivery.toFixed(4)} client frames per delivery, each an HTTP POST) and the replay buffer; the plain server has neither.`,
    );
  }

  // Idle memory per SSE connection: both keep Node's request and response; Pushwire also keeps a session.
  const m = pwSse?.memory;
  const sm = sse?.memory;
  if (m && sm && (m.heapPerConnection > sm.heapPerConnection || m.rssPerConnection > sm.rssPerConnection)) {
    out.push(
      `- **SSE idle memory** (heap ${n1(m.heapPerConnection / KB)} KB against plain SSE's ${n1(sm.heapPerConnection / KB)} KB per connection). ` +
        `The plain server keeps only what Node keeps for an open response (socket, parser, request, response); Pushwire keeps the ` +
        `same plus its session: ids and secret, the replay buffer, the rate limiter, the subscription, the connection token ` +
        `(~${n1((m.heapPerConnection - sm.heapPerConnection) / KB)} KB here). Matching the plain server would mean taking the socket ` +
        `out of Node's HTTP server after the response head.`,
    );
  }

  // Long-polling at a fixed rate: every delivery is a poll answered and a new poll sent, in one load process.
  const r = pwLp?.rates?.[0];
  const sr = sioPoll?.rates?.[0];
  if (r && sr && r.latency.p50 > 0.5 * sr.latency.p50) {
    const busy = (x: number | undefined): string =>
      x === undefined ? '?' : `${Math.round((x * config.rates[0]!.perSecond * config.fanout.clients) / 1e4)}%`;
    out.push(
      `- **Long-polling fixed-rate p50** (${times(r.latency.p50 / sr.latency.p50)} Socket.IO polling, target ½). Per delivery the load ` +
        `process spends ${r.loadCpuMicrosPerDelivery?.toFixed(0) ?? '?'} µs for Pushwire and ${sr.loadCpuMicrosPerDelivery?.toFixed(0) ?? '?'} µs for Socket.IO ` +
        `(${r.requestsPerDelivery.toFixed(3)} against ${sr.requestsPerDelivery.toFixed(3)} HTTP requests per delivery): at ` +
        `${config.rates[0]!.perSecond} broadcasts/s to ${config.fanout.clients} clients that is ${busy(r.loadCpuMicrosPerDelivery)} and ` +
        `${busy(sr.loadCpuMicrosPerDelivery)} of a core, so p50 is mostly how long one process takes to work through a ` +
        `thousand poll answers and new polls. Both servers answer a waiting poll as soon as a message comes.`,
    );
  }
  return out;
}
