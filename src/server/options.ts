import type { IncomingHttpHeaders } from 'node:http';
import type { TransportName } from '../protocol/frames.js';
import type { Broker } from './broker/broker.js';
import type { HistoryLimits } from './broker/memory.js';
import type { HttpApiOptions } from './http-api/http-api.js';
import type { IdempotencyOptions } from './idempotency.js';
import type { LimitOptions } from './limits.js';
import type { Logger } from './logger.js';
import type { MemoryBudgetOptions, ResolvedMemoryBudget } from './memory-budget.js';
import type { OriginPolicy } from './origin.js';
import type { OutboundLimits } from './outbound-buffer.js';
import type { PresenceOptions } from './presence/presence-registry.js';

/** What the server knows of the HTTP request that opened a connection. */
export interface RequestInfo {
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  url: string;
}

export interface HandshakeInfo extends RequestInfo {
  /** The client's `auth` option, as it sent it. */
  auth: unknown;
  transport: TransportName;
}

export type AuthResult = { ok: true; user?: unknown } | { ok: false; reason?: string };

/** Why a session ended. */
export type SessionEndReason =
  | 'bye' // the client closed it
  | 'expired' // no connection for longer than sessionTtl
  | 'evicted' // a slow or absent consumer (outbound buffer full, writes or receipts stalled), or shed by the memory budget
  | 'closed' // the application or server.close() ended it
  | 'moved'; // its client resumed it on another server node (it goes on there)

/** The application's view of one client session. It survives reconnects until it ends. */
export interface Session {
  readonly id: string;
  /** What `authorize` returned as `user`. */
  readonly user: unknown;
  /** The current transport, or null while the client is away. */
  readonly transport: TransportName | null;
  readonly remoteAddress: string;
  /** Free storage for the application. */
  readonly data: Record<string, unknown>;
  /** Channels this session is subscribed to. */
  channels(): string[];
  /** Sends a message to this session only (the client's `message` event); kept and replayed like any other. */
  send(data: unknown): void;
  /** Ends the session. The client is told with the close code (default 4000: reconnect with a new session). */
  close(code?: number, reason?: string): void;
}

export interface ServerHooks {
  /** Accepts or refuses a handshake. Default: accept everyone. */
  authorize?(info: HandshakeInfo): AuthResult | Promise<AuthResult>;
  /** May this session subscribe to the channel? Default: yes. */
  canSubscribe?(session: Session, channel: string): boolean | Promise<boolean>;
  /** May this session publish to the channel? Default: no (clients publish only where you allow it). */
  canPublish?(session: Session, channel: string, data: unknown): boolean | Promise<boolean>;
  /** A new session started (not called again when it resumes on a new connection). */
  onConnection?(session: Session): void;
  /** The client called `send(data)`. A throw rejects the client's promise with `handler_error`. */
  onMessage?(session: Session, data: unknown): void | Promise<void>;
  /**
   * The client called `request(data)`: the value returned (or resolved) is the answer, sent back as JSON.
   * A throw rejects the client's promise with `handler_error`. Without this hook requests get `no_handler`.
   */
  onRequest?(session: Session, data: unknown): unknown;
  /** The session ended. */
  onClose?(session: Session, reason: SessionEndReason): void;
}

export interface ServerOptions extends ServerHooks {
  /** URL path prefix of all endpoints. Default `/pushwire`. */
  path?: string;
  /** Default: an in-memory broker with `history` limits. */
  broker?: Broker;
  /** History limits of the default in-memory broker. */
  history?: HistoryLimits;
  /** Server heartbeat interval in ms. Default 25,000. */
  heartbeatInterval?: number;
  /** How long past a missed heartbeat a peer is still considered alive, in ms. Default half the interval. */
  heartbeatGrace?: number;
  /** Time a new connection has to complete its handshake, in ms. Default 10,000. */
  handshakeTimeout?: number;
  /** How long a session outlives its last connection, in ms. Default 60,000. */
  sessionTtl?: number;
  /** Largest client frame accepted, in bytes. Default 65,536. */
  maxPayload?: number;
  /** Bounds of each session's buffer of unacknowledged outbound frames (and of each HTTP connection's queue). */
  outbound?: OutboundLimits;
  /** When a connection that does not drain its writes counts as a slow consumer (and its session is evicted). */
  slowConsumer?: SlowConsumerLimits;
  /** Limits per session, per client address and in total. */
  limits?: LimitOptions;
  /** The memory budget per session, per client address and per process, in bytes. */
  memory?: MemoryBudgetOptions;
  /** Page origins allowed to connect. Default: the server's own origin (and non-browser clients). */
  allowedOrigins?: OriginPolicy;
  /** Take the client address from the first X-Forwarded-For entry (only behind a proxy you trust). Default false. */
  trustProxy?: boolean;
  /** Serve Prometheus metrics at `{path}/metrics`. Default false: expose them only where only you can reach them. */
  metrics?: boolean;
  /** Transports offered, in order of preference. Default all: `['websocket', 'sse', 'long-polling']`. */
  transports?: TransportName[];
  /** Longest a long-poll waits for something to send, in ms. Default 25,000. */
  pollTimeout?: number;
  /** Interval of keepalive comment lines on SSE streams, in ms. Default 15,000. */
  sseKeepalive?: number;
  /** Serve `{path}/events?channel=…`, one channel as a plain event stream (EventSource). Default true. */
  channelStreams?: boolean;
  /** Presence: member keys and limits (see docs/SYNCED-STATE.md). */
  presence?: PresenceOptions;
  /** The HTTP API for other backends at `{path}/api/…`, with its API keys (see docs/HTTP-API.md). Default: off. */
  httpApi?: HttpApiOptions;
  /** Retention of idempotency keys (`server.publish(…, { idempotencyKey })` and the HTTP API's `Idempotency-Key`). */
  idempotency?: IdempotencyOptions;
  /**
   * Where the server logs: `{ debug, info, warn, error }(message, fields)`, or a pino or winston logger
   * as it is (pino's `(fields, message)` order is detected). Default: warnings and errors as JSON lines on stderr.
   */
  logger?: Logger;
  /**
   * Test mode for conformance kits (docs/PROTOCOL.md, section 15): a control endpoint at `{path}/test`
   * (publish, send to or end any session, read the limits) and test behaviour on `test:` channels.
   * Anyone who reaches it can do all that: never on a server that faces users. Default false.
   */
  testMode?: boolean;
}

export interface SlowConsumerLimits {
  /** Bytes written to a connection and not yet flushed to the network that count as a backlog. Default 1 MiB. */
  maxPendingBytes?: number;
  /** How long a backlog over `maxPendingBytes` may last before the session is evicted (close 4002), ms. Default 10,000. */
  maxStallTime?: number;
  /**
   * How long a connected session holding more than `maxPendingBytes` of unacknowledged frames may go
   * without its receipts advancing before it is evicted (close 4002), ms. Default 30,000.
   */
  maxReceiptStall?: number;
}

export interface ResolvedOptions {
  path: string;
  heartbeatInterval: number;
  heartbeatGrace: number;
  handshakeTimeout: number;
  sessionTtl: number;
  maxPayload: number;
  outboundMaxFrames: number;
  outboundMaxBytes: number;
  slowMaxPendingBytes: number;
  slowMaxStallTime: number;
  slowMaxReceiptStall: number;
  memory: ResolvedMemoryBudget;
  allowedOrigins: OriginPolicy | undefined;
  trustProxy: boolean;
  metrics: boolean;
  transports: TransportName[];
  pollTimeout: number;
  sseKeepalive: number;
  presence?: PresenceOptions;
}

export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`pushwire: option ${name} must be a positive number`);
  return value;
}

export function resolveOptions(options: ServerOptions): ResolvedOptions {
  const path = (options.path ?? '/pushwire').replace(/\/+$/, '');
  if (!path.startsWith('/')) throw new RangeError('pushwire: option path must start with "/"');
  const heartbeatInterval = positive('heartbeatInterval', options.heartbeatInterval, 25_000);
  return {
    path,
    heartbeatInterval,
    heartbeatGrace: positive('heartbeatGrace', options.heartbeatGrace, heartbeatInterval / 2),
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout, 10_000),
    sessionTtl: positive('sessionTtl', options.sessionTtl, 60_000),
    maxPayload: positive('maxPayload', options.maxPayload, 64 * 1024),
    outboundMaxFrames: positive('outbound.maxFrames', options.outbound?.maxFrames, 5_000),
    outboundMaxBytes: positive('outbound.maxBytes', options.outbound?.maxBytes, 4 * 1024 * 1024),
    slowMaxPendingBytes: positive('slowConsumer.maxPendingBytes', options.slowConsumer?.maxPendingBytes, 1024 * 1024),
    slowMaxStallTime: positive('slowConsumer.maxStallTime', options.slowConsumer?.maxStallTime, 10_000),
    slowMaxReceiptStall: positive('slowConsumer.maxReceiptStall', options.slowConsumer?.maxReceiptStall, 30_000),
    memory: {
      inboxBytes: positive('memory.inboxBytes', options.memory?.inboxBytes, 1024 * 1024),
      addressBytes: positive('memory.addressBytes', options.memory?.addressBytes, 256 * 1024 * 1024),
      processBytes: positive('memory.processBytes', options.memory?.processBytes, 1024 * 1024 * 1024),
    },
    allowedOrigins: options.allowedOrigins,
    trustProxy: options.trustProxy ?? false,
    metrics: options.metrics ?? false,
    transports: resolveTransports(options.transports),
    pollTimeout: positive('pollTimeout', options.pollTimeout, 25_000),
    sseKeepalive: positive('sseKeepalive', options.sseKeepalive, 15_000),
    presence: options.presence,
  };
}

/** Every transport the server has an endpoint for (transports/endpoints.ts), in the default order. */
export const ALL_TRANSPORTS: readonly TransportName[] = ['websocket', 'sse', 'long-polling'];

function resolveTransports(transports: TransportName[] | undefined): TransportName[] {
  if (transports === undefined) return [...ALL_TRANSPORTS];
  const unknown = transports.filter((name) => !ALL_TRANSPORTS.includes(name));
  if (unknown.length > 0) throw new RangeError(`pushwire: unknown transport(s) ${unknown.join(', ')}; known: ${ALL_TRANSPORTS.join(', ')}`);
  if (transports.length === 0) throw new RangeError('pushwire: option transports must name at least one transport');
  return [...new Set(transports)];
}
