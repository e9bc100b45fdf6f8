import type { TransportName } from '../protocol/frames.js';
import type { BackoffOptions } from './backoff.js';
import type { Clock } from './clock.js';
import type { PushwireError } from './errors.js';
import type { QueueLimits } from './outbox.js';
import type { TransportMemoryOptions } from './transport-memory.js';
import type { TransportDefinition, WebSocketConstructor } from './transports/transport.js';

// The client's options and the events it emits (PushwireClient, client.ts).

export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientOptions {
  /** Transports to try, in order of preference (leave one out to disable it). `connect()` default: WebSocket, SSE, long-polling. */
  transports?: TransportDefinition[];
  /** A WebSocket implementation, for environments without a global one (Node: the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /** Credentials for the handshake: a value, or a function called before every connection attempt. */
  auth?: unknown;
  /** Reconnect backoff (full jitter after the cap). */
  reconnect?: BackoffOptions;
  /**
   * Time for a connection attempt to reach the server's welcome, ms; past it the next transport is
   * tried. One number for every transport, or one per transport. Default: the transport's own
   * (`TransportDefinition.connectTimeout`): 4,000 for WebSocket (a proxy that swallows upgrades costs a
   * first page load that long; a fallback on a merely slow network is undone by the upgrade probe),
   * 10,000 for SSE and long-polling.
   */
  connectTimeout?: number | Partial<Record<TransportName, number>>;
  /**
   * Health check: once a transport says it is open, the server's first frame (the welcome) must come
   * within this time, ms, or the next transport is tried. Catches a proxy that accepts a WebSocket
   * upgrade and passes nothing, or buffers an SSE stream. Default 5,000.
   */
  welcomeTimeout?: number;
  /** Remember a fallback transport that worked (localStorage, with an expiry) and start there next time. false: don't. */
  transportMemory?: TransportMemoryOptions | false;
  /** While on a fallback, probe the preferred transport (WebSocket) in the background and move the session onto it. false: don't. */
  upgrade?: UpgradeOptions | false;
  /** Silence tolerated past the server's heartbeat interval before the connection counts as dead, ms. Default half the interval. */
  heartbeatGrace?: number;
  /** Largest frame to send before the server has said its own limit. Default 65,536. */
  maxPayload?: number;
  /** Bounds of the queue of sends waiting for their ack (including while offline). */
  queue?: QueueLimits;
  /**
   * Default time `publish()` and `send()` wait for the server's ack before rejecting with `timeout`, ms.
   * Default 0: wait as long as the session lives (it still rejects with `session_lost` or `closed`).
   */
  ackTimeout?: number;
  /** Default time `request()` waits for its answer before rejecting with `timeout`, ms. Default 10,000. */
  requestTimeout?: number;
  clock?: Clock;
  random?: () => number;
}

export interface SendOptions {
  /**
   * Reject with a `timeout` error if the server has not acknowledged (or answered) within this many ms;
   * 0 waits as long as the session lives. A frame not yet handed to a transport when the time is up
   * is withdrawn and never sent. One already sent may have been handled: it is still resent after a
   * reconnect and handled at most once, so a timeout means "outcome unknown", not "not done".
   */
  timeout?: number;
}

export interface UpgradeOptions {
  /** Delay before the first probe, ms; it doubles after each failed probe (with jitter). Default 10,000. */
  min?: number;
  /** Longest delay between probes, ms. Default 300,000. */
  max?: number;
  /** Time for a probe's round trip, ms. Default: welcomeTimeout. */
  timeout?: number;
}

/** A transport failed before the server's welcome. */
export interface FallbackInfo {
  from: TransportName;
  /** The transport tried next, at once; null: every transport failed in this round, the client backs off. */
  to: TransportName | null;
  code: number;
  /** What went wrong: the error, or which timeout (connect timeout, health check) expired. */
  reason: string;
}

/** The session moved onto a better transport without losing or repeating a message. */
export interface UpgradeInfo {
  from: TransportName;
  to: TransportName;
}

/** A background probe of a better transport failed; the session stays where it is and probes again later. */
export interface ProbeInfo {
  transport: TransportName;
  reason: string;
  /** Delay before the next probe, ms. */
  next: number;
}

export interface OpenInfo {
  /** true: the previous session continued (nothing was lost). false: a new session started. */
  resumed: boolean;
  /**
   * true: the session continued on another server node (nothing was lost). Per-session state the
   * server application keeps in one process (session.data, maps keyed by session) starts afresh
   * there, so an app that registered itself with the server (joined a room by request) does it again.
   */
  moved: boolean;
  transport: TransportName;
}

export interface ReconnectInfo {
  /** Attempt number, from 1. */
  attempt: number;
  /** Delay before it, ms. */
  delay: number;
  /** Why the previous connection ended (a close code, see docs/PROTOCOL.md). */
  code: number;
  reason: string;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export type ClientEvents = {
  state: [state: ClientState];
  open: [info: OpenInfo];
  reconnecting: [info: ReconnectInfo];
  close: [info: CloseInfo];
  error: [error: PushwireError];
  /** A message the server sent to this session only. */
  message: [data: unknown];
  fallback: [info: FallbackInfo];
  upgrade: [info: UpgradeInfo];
  probe: [info: ProbeInfo];
};
