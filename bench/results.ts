import type { Summary } from './stats.js';
import type { TargetId } from './targets.js';

export interface ConnectResult {
  clients: number;
  perSecond: number;
  /** Server CPU (user + system) per connection, handshake included, µs. */
  serverCpuMicros: number;
  /** Load process CPU per connection (the client library's side of the handshake), µs; optional in older results. */
  loadCpuMicros?: number;
  handshake: Summary;
  ready: Summary;
  failed: number;
  /** From creating a client to its first message (the server broadcasting every few ms). */
  firstMessage?: FirstMessageResult;
  /** The same with WebSocket upgrades refused, for the client with every transport (Pushwire WS column). */
  firstMessageWebSocketBlocked?: FirstMessageResult;
  /** The same with WebSocket upgrades never answered: the client falls back after its connect timeout. */
  firstMessageWebSocketSwallowed?: FirstMessageResult;
}

export interface FirstMessageResult {
  summary: Summary;
  /** Clients per transport they ended on, where the client library says. */
  transports: Record<string, number>;
}

export interface MemoryResult {
  connections: number;
  rssPerConnection: number;
  heapPerConnection: number;
  /** V8's young generation after the clients connected, MB: it grows with the allocation rate and counts in RSS. */
  newSpaceMB: number;
}

export interface FanoutResult {
  clients: number;
  messages: number;
  complete: boolean;
  received: number;
  lost: number;
  duplicated: number;
  deliveriesPerSecond: number;
  latency: Summary;
  cpuMicrosPerDelivery: number;
  /** Load process CPU per delivery (the client library's side), µs; optional in older results. */
  loadCpuMicrosPerDelivery?: number;
  /** Frames the clients sent meanwhile per delivery (Pushwire: receipts), where the server counts them. */
  clientFramesPerDelivery: number;
}

export interface RateResult {
  perSecond: number;
  messages: number;
  lost: number;
  duplicated: number;
  latency: Summary;
  cpuMicrosPerDelivery: number;
  loadCpuMicrosPerDelivery?: number;
  clientFramesPerDelivery: number;
  requestsPerDelivery: number;
  bytesPerDelivery: number;
}

export interface ResumeResult {
  clients: number;
  lost: number;
  duplicated: number;
  resumed: number;
  notReconnected: number;
  allCaughtUpMs: number;
  caughtUp: Summary;
  reconnect: Summary & { min: number };
  /** When the clients' backoff scheduled their first attempt after the drop (the jitter, before any server work). */
  plannedAttempt: Summary;
  peakPer100ms: number;
}

export interface TargetResult {
  id: TargetId;
  label: string;
  unavailable: string | null;
  error?: string;
  connect?: ConnectResult;
  memory?: MemoryResult;
  fanout?: FanoutResult;
  /** One per fixed rate of the config, in its order (10/s, 50/s). */
  rates?: RateResult[];
  resume?: ResumeResult;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  date: string;
  /** 1-minute load average when the bench started: other work on the machine skews every figure. */
  loadAverage: number;
  quick: boolean;
}
