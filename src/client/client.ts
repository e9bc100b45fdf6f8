import { isValidChannelName } from '../protocol/channel.js';
import { CloseCode, closeAction, type ErrorCode } from '../protocol/codes.js';
import {
  isReliableType,
  type ErrorFrame,
  type HelloFrame,
  type MessageFrame,
  type ServerFrame,
  type SnapshotFrame,
  type SubscribedFrame,
  type TransportName,
  type WelcomeFrame,
} from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { type Clock, systemClock } from './clock.js';
import { callSafely, Emitter } from './emitter.js';
import { PushwireError } from './errors.js';
import { TransportPlan } from './negotiation.js';
import { Outbox, type OutboundBody, type OutboxEntry, type QueueLimits } from './outbox.js';
import {
  type ChannelState,
  type MessageInfo,
  type SubscribedInfo,
  type SubscribeOptions,
  Subscription,
  type SubscriptionHandlers,
} from './subscription.js';
import { TransportMemory, type TransportMemoryOptions } from './transport-memory.js';
import type { Transport, TransportDefinition, TransportHandlers, WebSocketConstructor } from './transports/transport.js';
import { UpgradeProbe } from './upgrade-probe.js';
import { SyncedState } from './synced-state.js';
import { Presence } from './presence.js';

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
   * tried. One number for every transport, or one per transport (e.g. `{ websocket: 3000 }`: a proxy
   * that swallows upgrades then costs a first page load 3 s, not 10). Default 10,000.
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

/** The page is hidden or the browser says it is offline: no point reconnecting right now. */
function pageAway(): boolean {
  const g = globalThis as { document?: { visibilityState?: string }; navigator?: { onLine?: boolean } };
  return g.document?.visibilityState === 'hidden' || g.navigator?.onLine === false;
}

type TimerName = 'connect' | 'retry' | 'deadline' | 'receipt' | 'probe';

/** Receipts (acks of server frames) go out after this many frames, or this long after the first unreceipted one. */
const RECEIPT_EVERY = 128;
const RECEIPT_DELAY = 1000;

/**
 * A Pushwire client: one logical session over whichever transport works, kept alive across
 * reconnects. Create it with `connect(url, options)`.
 */
export class PushwireClient extends Emitter<ClientEvents> {
  state: ClientState = 'connecting';
  /** The transport in use (or being tried); null once closed. */
  transport: TransportName | null = null;
  sessionId: string | null = null;

  private readonly url: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly plan: TransportPlan;
  private readonly outbox: Outbox;
  private readonly channels = new Map<string, ChannelState>();
  private readonly timers: Partial<Record<TimerName, unknown>> = {};
  private readonly pings = new Map<number, { resolve: () => void; reject: (error: PushwireError) => void }>();
  private pipe: Transport | null = null;
  /** The current pipe has not delivered the welcome yet: nothing but the hello goes out on it. */
  private awaitingWelcome = false;
  /** Queued `sub` frames up to this number followed the current pipe's hello at once (see sendHello). */
  private pipelined = 0;
  /** When the current attempt's connect timeout expires (clock time). */
  private connectDeadline = 0;
  /** Set while the session moves onto a probed transport: the transport it leaves. */
  private upgradingFrom: TransportName | null = null;
  private probe: UpgradeProbe | null = null;
  private probeAttempt = 0;
  private secret = '';
  /** Reliable server frames received in this session, and how many of them the server knows we have. */
  private rx = 0;
  private receipted = 0;
  private heartbeatInterval = 0;
  private maxPayload: number;
  private lastHeard = 0;
  private attempt = 0;
  private everOpen = false;
  private pingId = 0;
  private authInFlight: Promise<unknown> | undefined;
  /** `snap` frames waiting for the ack of the `get` they answer, by its sequence number. */
  private readonly snapshots = new Map<number, SnapshotFrame>();
  /** Presence this client joined, by channel: joined again with a new session. */
  private readonly joined = new Map<string, unknown>();

  constructor(
    url: string,
    private readonly options: ClientOptions = {},
  ) {
    super();
    const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
    // Endpoints hang under the path; a query string would be lost, and credentials don't belong in URLs.
    if (base.search) throw new TypeError('pushwire: the URL must not have a query string; pass credentials in the auth option');
    this.url = `${base.protocol.replace(/^ws/, 'http')}//${base.host}${base.pathname.replace(/\/+$/, '')}`;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    const memory = options.transportMemory === false ? null : new TransportMemory(this.url, options.transportMemory ?? {}, () => this.clock.now());
    this.plan = new TransportPlan(options.transports ?? [], memory);
    this.maxPayload = options.maxPayload ?? 65_536;
    this.outbox = new Outbox(options.queue?.maxFrames ?? 1000, options.queue?.maxBytes ?? 1 << 20);
    this.transport = this.plan.current.name;
    this.listenToPage(true);
    // The first attempt starts once the caller has had a chance to add listeners, so no event of it
    // (a fallback, say) goes unheard.
    queueMicrotask(() => this.state === 'connecting' && this.pipe === null && this.connectNow());
  }

  /**
   * Subscribes to a channel. Several subscriptions to one channel share one server subscription.
   * Options apply when the channel's subscription is created.
   */
  subscribe<T = unknown>(
    channel: string,
    handlers: SubscriptionHandlers<T> | ((data: T, info: MessageInfo) => void),
    options: SubscribeOptions = {},
  ): Subscription<T> {
    if (!isValidChannelName(channel)) throw new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);
    if (this.state === 'closed') throw new PushwireError('closed', 'the client is closed');
    const subscription = new Subscription<T>(channel, typeof handlers === 'function' ? { onMessage: handlers } : handlers, (s) =>
      this.leave(s as Subscription),
    );
    let state = this.channels.get(channel);
    if (!state) {
      state = { name: channel, position: options.from ?? null, live: false, subSeq: 0, rewind: options.rewind, subscriptions: new Set() };
      this.channels.set(channel, state);
      this.resubscribe(state);
    } else if (state.lastInfo) {
      const info = state.lastInfo;
      queueMicrotask(() => callSafely(subscription.handlers.onSubscribed, [info]));
    }
    state.subscriptions.add(subscription as Subscription);
    return subscription;
  }

  /** Follows a channel's state document: snapshot, then diffs, and a fresh snapshot whenever a gap can't be replayed. */
  sync<T = unknown>(channel: string): SyncedState<T> {
    return new SyncedState<T>(channel, this);
  }

  /** Watches who is present in a channel; with `meta`, joins it too (see Presence). */
  presence(channel: string, meta?: unknown): Presence {
    return new Presence(channel, this, meta);
  }

  /** Fetches a channel's state snapshot (used by `sync`). */
  fetchState(channel: string): Promise<SnapshotFrame> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(new PushwireError('closed', 'the client is closed'));
      const entry = this.enqueue(
        { t: 'get', ch: channel },
        () => {
          const snapshot = this.snapshots.get(entry.s);
          this.snapshots.delete(entry.s);
          if (snapshot) resolve(snapshot);
          else reject(new PushwireError('internal', 'the server acknowledged a state request without a snapshot'));
        },
        reject,
      );
    });
  }

  /** Joins a channel's presence with this metadata (again after a session is lost), or updates it. */
  joinPresence(channel: string, meta: unknown): Promise<void> {
    this.joined.set(channel, meta ?? null);
    return this.submit<void>({ t: 'join', ch: channel, meta: meta ?? null }, this.options.ackTimeout ?? 0);
  }

  leavePresence(channel: string): Promise<void> {
    if (!this.joined.delete(channel)) return Promise.resolve();
    return this.submit<void>({ t: 'leave', ch: channel }, this.options.ackTimeout ?? 0);
  }

  /**
   * Publishes to a channel; resolves when the server has handled it. Rejects with a PushwireError:
   * `too_large`, `queue_full`, `forbidden`, `timeout`, `session_lost` or `closed`.
   */
  publish(channel: string, data: unknown, options: SendOptions = {}): Promise<void> {
    if (!isValidChannelName(channel)) return Promise.reject(new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`));
    return this.submit<void>({ t: 'pub', ch: channel, d: data ?? null }, options.timeout ?? this.options.ackTimeout ?? 0);
  }

  /** Sends a message to the server application (its onMessage hook); resolves when it was handled. Rejects like `publish`. */
  send(data: unknown, options: SendOptions = {}): Promise<void> {
    return this.submit<void>({ t: 'msg', d: data ?? null }, options.timeout ?? this.options.ackTimeout ?? 0);
  }

  /**
   * Asks the server application (its onRequest hook) and resolves with its answer. Rejects like
   * `publish`, plus `no_handler` and `handler_error`; `timeout` after `requestTimeout` (default 10 s).
   * The answer survives a reconnect; a request outlives only its session (`session_lost`).
   */
  request<T = unknown>(data: unknown, options: SendOptions = {}): Promise<T> {
    return this.submit<T>({ t: 'req', d: data ?? null }, options.timeout ?? this.options.requestTimeout ?? 10_000);
  }

  /** Measures the round trip to the server, ms. */
  ping(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.state !== 'open' || !this.pipe) return reject(new PushwireError('closed', 'not connected'));
      const id = ++this.pingId;
      const start = this.clock.now();
      this.pings.set(id, { resolve: () => resolve(this.clock.now() - start), reject });
      this.pipe.send(JSON.stringify({ t: 'ping', id }));
    });
  }

  /** Ends the session for good: tells the server, stops reconnecting, leaves no timer behind. */
  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') this.pipe?.send('{"t":"bye"}');
    this.pipe?.close();
    this.shutdown(CloseCode.Normal, 'closed by the application');
  }

  // ---- connection lifecycle ----

  private connectNow(): void {
    this.clearTimer('retry');
    const definition = this.plan.current;
    let pipe: Transport | null = null;
    const handlers = this.bind(() => pipe);
    this.transport = definition.name;
    this.awaitingWelcome = true;
    this.upgradingFrom = null;
    const timeout = this.connectTimeout(definition.name);
    this.connectDeadline = this.clock.now() + timeout;
    this.setTimer('connect', timeout, () => this.drop(1006, `${definition.name}: no welcome within ${timeout} ms of connecting (connect timeout)`));
    try {
      pipe = this.pipe = definition.create({ url: this.url, handlers, WebSocket: this.options.WebSocket });
    } catch (error) {
      this.lost(1006, `${definition.name} unavailable: ${(error as Error).message}`);
    }
  }

  /** The session layer's handlers for one pipe; events of a pipe that is no longer current are ignored. */
  private bind(pipeOf: () => Transport | null): TransportHandlers {
    const current = (): boolean => pipeOf() !== null && pipeOf() === this.pipe;
    return {
      open: () => current() && this.onPipeOpen(pipeOf()!),
      frame: (text) => current() && this.onFrame(text),
      close: (code, reason) => current() && this.lost(code, reason),
    };
  }

  private onPipeOpen(pipe: Transport): void {
    void this.sendHello(pipe);
  }

  /**
   * Once the hello is out on an open pipe, the welcome must arrive within welcomeTimeout, else this
   * transport counts as failed. (Started after the auth callback, so a slow token fetch is not blamed
   * on the transport.)
   */
  private startHealthCheck(): void {
    const timeout = this.options.welcomeTimeout ?? 5000;
    const name = this.transport;
    // One timer for both bounds: whichever comes first (the connect timeout may already be closer).
    if (this.clock.now() + timeout >= this.connectDeadline) return;
    this.setTimer('connect', timeout, () => this.drop(1006, `${name}: open, but no frame from the server within ${timeout} ms (health check)`));
  }

  private async sendHello(pipe: Transport): Promise<void> {
    let auth: unknown;
    try {
      auth = await this.credentials();
    } catch (error) {
      if (this.pipe !== pipe) return;
      this.awaitingWelcome = false; // the application's failure, not the transport's: no fallback
      this.drop(1006, `auth callback failed: ${(error as Error).message}`);
      return;
    }
    if (this.pipe !== pipe) return;
    const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION };
    if (auth !== undefined) hello.auth = auth;
    if (this.sessionId) Object.assign(hello, { sid: this.sessionId, secret: this.secret, rx: this.rx });
    this.startHealthCheck();
    pipe.send(JSON.stringify(hello));
    // Before the first session, queued subscriptions follow the hello at once instead of a round trip
    // later, after the welcome: the new session numbers frames from 1 like the outbox, and the welcome
    // keeps that numbering. Only the leading `sub` frames: one handled by a session whose welcome never
    // arrives is harmless, where a publish would be handled twice.
    this.pipelined = 0;
    if (this.sessionId === null && !this.joined.size) {
      for (const entry of this.outbox.entries) {
        if (entry.body.t !== 'sub' || entry.s > 128) break; // the server holds at most 256 frames before the welcome
        pipe.send(entry.text);
        this.pipelined = entry.s;
      }
    }
  }

  /**
   * The `auth` option's value, or a fresh result of its function. Calls made while one is still running
   * share it, so two connection attempts (e.g. a fallback and an upgrade probe) never refresh a token twice.
   */
  private credentials(): Promise<unknown> {
    const option = this.options.auth;
    if (typeof option !== 'function') return Promise.resolve(option);
    this.authInFlight ??= Promise.resolve()
      .then(option as () => unknown)
      .finally(() => (this.authInFlight = undefined));
    return this.authInFlight;
  }

  /** Ends the current pipe from this side, then handles it like any lost connection. */
  private drop(code: number, reason: string, retry?: number): void {
    this.pipe?.close();
    this.lost(code, reason, retry);
  }

  /** The pipe ended. `retry`: the server asked to reconnect after a random delay below it (a shutdown spread). */
  private lost(code: number, reason: string, retry?: number): void {
    this.pipe = null;
    const failedAttempt = this.awaitingWelcome;
    this.awaitingWelcome = false;
    this.upgradingFrom = null;
    for (const name of ['connect', 'deadline', 'receipt', 'probe'] as const) this.clearTimer(name);
    this.stopProbe();
    this.rejectPings(reason);
    if (this.state === 'closed') return;
    const action = closeAction(code);
    if (action === 'stop' || (action === 'reauth' && typeof this.options.auth !== 'function')) {
      this.emit('error', new PushwireError('closed', `the server refused the connection (${code}): ${reason}`));
      this.shutdown(code, reason);
      return;
    }
    if (!this.setState(this.everOpen ? 'reconnecting' : 'connecting')) return; // a listener closed the client
    if (failedAttempt && retry === undefined) {
      // Before the welcome, any failure is the transport's (unless the server asked for a later
      // retry: a shutdown): the next transport gets its chance at once.
      const from = this.transport!;
      const next = this.plan.advance();
      this.emit('fallback', { from, to: next?.name ?? null, code, reason });
      if ((this.state as ClientState) === 'closed') return; // a listener closed the client
      if (next) {
        this.setTimer('retry', 0, () => this.connectNow());
        return;
      }
    }
    this.plan.restart();
    const delay = retry === undefined ? backoffDelay(this.attempt, this.options.reconnect ?? {}, this.random) : this.random() * retry;
    this.attempt++;
    this.setTimer('retry', delay, () => this.connectNow());
    this.emit('reconnecting', { attempt: this.attempt, delay, code, reason });
  }

  private shutdown(code: number, reason: string): void {
    if (this.state === 'closed') return; // an 'error' listener already closed the client
    this.pipe = null;
    this.stopProbe();
    for (const name of Object.keys(this.timers) as TimerName[]) this.clearTimer(name);
    this.listenToPage(false);
    this.rejectPings(reason);
    this.transport = null;
    this.setState('closed');
    this.outbox.rejectAll(new PushwireError('closed', reason));
    this.emit('close', { code, reason });
  }

  private rejectPings(reason: string): void {
    for (const { reject } of this.pings.values()) reject(new PushwireError('closed', `connection lost: ${reason}`));
    this.pings.clear();
  }

  /** Returns false if a 'state' listener moved the client on (closed it) meanwhile: stop what was going on. */
  private setState(state: ClientState): boolean {
    if (this.state === state) return true;
    this.state = state;
    this.emit('state', state);
    return this.state === state;
  }

  // ---- frames from the server ----

  private onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      this.emit('error', new PushwireError('bad_frame', 'the server sent a frame that is not JSON'));
      return;
    }
    this.lastHeard = this.clock.now();
    if (isReliableType(frame.t)) {
      this.rx++;
      if (this.rx - this.receipted >= RECEIPT_EVERY) this.sendReceipt();
      // Jittered: after a broadcast, a thousand clients' receipts should not all land in the same millisecond.
      else if (this.timers.receipt === undefined) this.setTimer('receipt', RECEIPT_DELAY * (0.5 + this.random()), () => this.sendReceipt());
    }
    switch (frame.t) {
      case 'welcome':
        return this.onWelcome(frame);
      case 'm':
        return this.onChannelMessage(frame);
      case 'subd':
        return this.onSubscribed(frame);
      case 'err':
        return this.onErrorFrame(frame);
      case 'msg':
        return this.emit('message', frame.d);
      case 'res':
        return this.outbox.answer(frame.s, frame.d);
      case 'snap':
        return void this.snapshots.set(frame.s, frame);
      case 'ack':
        return this.outbox.ack(frame.s);
      case 'ping':
        this.receipted = this.rx;
        return this.pipe?.send(JSON.stringify({ t: 'pong', n: this.rx }));
      case 'pong': {
        const ping = this.pings.get(frame.id);
        this.pings.delete(frame.id);
        return ping?.resolve();
      }
      case 'close':
        return this.drop(frame.code, frame.reason, frame.retry);
    }
  }

  private onWelcome(welcome: WelcomeFrame): void {
    this.clearTimer('connect');
    this.awaitingWelcome = false;
    const upgradedFrom = this.upgradingFrom;
    this.upgradingFrom = null;
    this.plan.succeeded();
    const resumed = welcome.resumed && welcome.sid === this.sessionId;
    // Frames up to `pipelined` went out behind this pipe's hello: the first session has them already.
    const pipelined = this.sessionId === null ? this.pipelined : 0;
    this.sessionId = welcome.sid;
    this.secret = welcome.secret;
    this.rx = this.receipted = welcome.rx;
    this.heartbeatInterval = welcome.hb;
    this.maxPayload = welcome.max;
    if (!resumed && pipelined === 0) this.startSession();
    this.attempt = 0;
    this.everOpen = true;
    if (!this.setState('open')) return;
    this.armDeadline();
    // Everything not yet acknowledged goes again: the server drops what it already handled.
    for (const entry of this.outbox.entries) {
      if (entry.s <= pipelined) continue;
      entry.sent = true;
      this.pipe!.send(entry.text);
    }
    this.emit('open', { resumed, transport: this.transport! });
    if (upgradedFrom) this.emit('upgrade', { from: upgradedFrom, to: this.transport! });
    this.scheduleProbe();
  }

  // ---- upgrade back to the preferred transport ----

  /** On a fallback, probes the preferred transport later (WebSocket: the only one that can be probed before a handshake). */
  private scheduleProbe(): number {
    const target = this.plan.preferred;
    const upgrade = this.options.upgrade;
    if (upgrade === false || target.name !== 'websocket' || this.transport === target.name || this.probe || this.timers.probe !== undefined) return 0;
    const { min = 10_000, max = 300_000 } = upgrade ?? {};
    const cap = Math.min(max, min * 2 ** this.probeAttempt);
    const delay = cap / 2 + (this.random() * cap) / 2;
    this.setTimer('probe', delay, () => this.startProbe(target));
    return delay;
  }

  private startProbe(target: TransportDefinition): void {
    if (this.state !== 'open' || this.awaitingWelcome) return;
    const timeout = (this.options.upgrade || {}).timeout ?? this.options.welcomeTimeout ?? 5000;
    const probe = new UpgradeProbe(target, { url: this.url, WebSocket: this.options.WebSocket }, this.clock, timeout, (result) => {
      if (this.probe !== probe) return;
      this.probe = null;
      if (result.ok) return this.switchTo(target, result.pipe, result.adopt);
      this.probeAttempt++;
      this.emit('probe', { transport: target.name, reason: result.reason, next: this.scheduleProbe() });
    });
    this.probe = probe;
    probe.start();
  }

  private stopProbe(): void {
    this.probe?.cancel();
    this.probe = null;
  }

  /**
   * Moves the session onto a probed pipe: resume the session on another pipe. The old pipe is no longer
   * read from this moment, so `rx` (frames received) is fixed at what it delivered; the resume hello
   * carries it and the server, attaching the session to the new pipe (and closing the old with 4102),
   * replays everything after it. Frames to the server wait for the welcome and then go again from the
   * outbox; the server drops those it already handled. Nothing is lost, nothing is delivered twice.
   */
  private switchTo(definition: TransportDefinition, pipe: Transport, adopt: (handlers: TransportHandlers) => void): void {
    if (this.state !== 'open' || !this.pipe || this.awaitingWelcome) {
      pipe.close();
      return;
    }
    const old = this.pipe;
    this.upgradingFrom = this.transport;
    this.pipe = pipe;
    this.transport = definition.name;
    this.plan.restart(definition.name);
    this.awaitingWelcome = true;
    adopt(this.bind(() => pipe));
    old.close();
    const timeout = this.connectTimeout(definition.name);
    this.connectDeadline = this.clock.now() + timeout;
    this.setTimer('connect', timeout, () => this.drop(1006, `${definition.name}: no welcome within ${timeout} ms of the upgrade (connect timeout)`));
    void this.sendHello(pipe);
  }

  /**
   * A new session (the first, or after the old one expired): subscriptions are made again from their
   * positions, so the server replays what it can and resets the rest.
   */
  private startSession(): void {
    const queued = new Set<string>();
    for (const { body } of this.outbox.entries) if (body.t === 'sub') queued.add(body.ch);
    // Presence first, so the presence lists the subscriptions below bring back already include us.
    const leading: OutboundBody[] = [...this.joined].map(([ch, meta]) => ({ t: 'join', ch, meta }));
    for (const state of this.channels.values()) {
      state.live = false;
      if (!queued.has(state.name)) leading.push(this.subscribeBody(state));
    }
    this.snapshots.clear();
    this.outbox.restart(leading, ({ s, body }) => {
      if (body.t === 'unsub') return null;
      if (body.t !== 'sub') return body;
      const state = this.channels.get(body.ch);
      return state && state.subSeq === s ? this.subscribeBody(state) : null;
    });
    for (const { s, body } of this.outbox.entries) if (body.t === 'sub') this.channels.get(body.ch)!.subSeq = s;
  }

  private onChannelMessage(frame: MessageFrame): void {
    const state = this.channels.get(frame.ch);
    if (!state || !state.live || !state.position) return;
    const [epoch, seq] = state.position;
    if (frame.e === epoch && frame.q <= seq) return; // a duplicate
    if (frame.e !== epoch || frame.q !== seq + 1) {
      // Never skip a gap: ask the server to replay from where we are (or to reset us).
      this.resubscribe(state);
      return;
    }
    state.position = [epoch, frame.q];
    const info: MessageInfo = { channel: frame.ch, epoch, seq: frame.q };
    for (const subscription of state.subscriptions) callSafely(subscription.handlers.onMessage, [frame.d, info]);
  }

  private onSubscribed(frame: SubscribedFrame): void {
    const state = this.channels.get(frame.ch);
    // An answer to an older `sub` of this channel (unsubscribed and subscribed again since) is stale:
    // its replay must not reach the new subscription.
    if (!state || (frame.s !== undefined && frame.s !== state.subSeq)) return;
    state.position = [frame.e, frame.q];
    state.live = true;
    const info: SubscribedInfo = { channel: frame.ch, status: frame.st, epoch: frame.e, seq: frame.q, head: frame.h };
    state.lastInfo = info;
    for (const subscription of state.subscriptions) {
      callSafely(subscription.handlers.onSubscribed, [info]);
      if (frame.st === 'reset') callSafely(subscription.handlers.onReset, [info]);
    }
  }

  private onErrorFrame(frame: ErrorFrame): void {
    const error = new PushwireError(frame.code as ErrorCode, frame.msg);
    const entry = frame.s === undefined ? undefined : this.outbox.refuse(frame.s, error);
    if (entry?.body.t === 'sub') {
      const state = this.channels.get(entry.body.ch);
      if (state && state.subSeq === entry.s) {
        this.channels.delete(state.name);
        for (const subscription of state.subscriptions) callSafely(subscription.handlers.onError, [error]);
      }
    }
    if (!entry) this.emit('error', error);
  }

  // ---- frames to the server ----

  /** Queues an application frame; the promise settles with its ack or answer, its error, or the timeout. */
  private submit<T>(body: OutboundBody, timeout: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.state === 'closed') return reject(new PushwireError('closed', 'the client is closed'));
      let timer: unknown;
      const stop = (): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
      };
      let entry: OutboxEntry;
      try {
        entry = this.enqueue(
          body,
          (value) => (stop(), resolve(value as T)),
          (error) => (stop(), reject(error)),
        );
      } catch (error) {
        return reject(error);
      }
      if (timeout > 0) {
        timer = this.clock.setTimeout(() => {
          const what = entry.sent ? 'it was sent and may still be handled (at most once)' : 'it was never sent and never will be';
          this.outbox.expire(entry, new PushwireError('timeout', `no ${body.t === 'req' ? 'answer' : 'acknowledgement'} within ${timeout} ms; ${what}`));
        }, timeout);
      }
    });
  }

  private enqueue(body: OutboundBody, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry {
    const entry = this.outbox.add(body, this.maxPayload, resolve, reject);
    if (this.state === 'open' && this.pipe && !this.awaitingWelcome && this.checkAlive()) {
      entry.sent = true;
      this.pipe.send(entry.text);
    }
    return entry;
  }

  private subscribeBody(state: ChannelState): OutboundBody {
    if (state.position) return { t: 'sub', ch: state.name, from: state.position };
    return state.rewind ? { t: 'sub', ch: state.name, rewind: state.rewind } : { t: 'sub', ch: state.name };
  }

  private resubscribe(state: ChannelState): void {
    state.live = false;
    state.subSeq = this.enqueue(this.subscribeBody(state)).s;
  }

  private leave(subscription: Subscription): Promise<void> {
    const state = this.channels.get(subscription.channel);
    if (!state || !state.subscriptions.delete(subscription) || state.subscriptions.size > 0) return Promise.resolve();
    this.channels.delete(state.name);
    if (this.state === 'closed') return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue({ t: 'unsub', ch: state.name }, () => resolve(), reject));
  }

  private sendReceipt(): void {
    this.clearTimer('receipt');
    if (this.state !== 'open' || !this.pipe || this.awaitingWelcome || this.rx === this.receipted) return;
    this.receipted = this.rx;
    this.pipe.send(JSON.stringify({ t: 'ack', n: this.rx }));
  }

  private connectTimeout(transport: TransportName): number {
    const option = this.options.connectTimeout;
    return (typeof option === 'number' ? option : option?.[transport]) ?? 10_000;
  }

  // ---- liveness ----

  private deadline(): number {
    return this.lastHeard + this.heartbeatInterval + (this.options.heartbeatGrace ?? this.heartbeatInterval / 2);
  }

  /** Declares the connection dead if the server has been silent past its deadline. Cheap: call it often. */
  private checkAlive(): boolean {
    if (this.state !== 'open' || this.clock.now() <= this.deadline()) return true;
    this.drop(CloseCode.HeartbeatTimeout, 'no traffic from the server within the heartbeat interval and grace');
    return false;
  }

  /** One timer at the deadline; traffic meanwhile only moves the deadline, the timer re-arms when it fires. */
  private armDeadline(): void {
    this.setTimer('deadline', Math.max(0, this.deadline() - this.clock.now()) + 1, () => {
      if (this.checkAlive()) this.armDeadline();
    });
  }

  /**
   * Background tabs throttle timers, and a sleeping laptop stops them: whenever the page may have come
   * back (visible, online, restored, focused) check the deadline at once, and retry a reconnect now
   * instead of waiting out the backoff.
   */
  private readonly wake = (): void => {
    if (this.state === 'open' && this.checkAlive()) return;
    // Waiting to retry, or the check just found the connection dead: try now.
    if (this.timers.retry !== undefined && !pageAway()) this.connectNow();
  };

  private listenToPage(on: boolean): void {
    const target = globalThis as unknown as Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>;
    const method = on ? target.addEventListener : target.removeEventListener;
    if (!method) return;
    for (const event of ['online', 'offline', 'pageshow', 'focus']) method.call(target, event, this.wake);
    if (typeof document !== 'undefined') (on ? document.addEventListener : document.removeEventListener).call(document, 'visibilitychange', this.wake);
  }

  private setTimer(name: TimerName, ms: number, fn: () => void): void {
    this.clearTimer(name);
    this.timers[name] = this.clock.setTimeout(() => {
      delete this.timers[name];
      fn();
    }, ms);
  }

  private clearTimer(name: TimerName): void {
    if (this.timers[name] === undefined) return;
    this.clock.clearTimeout(this.timers[name]);
    delete this.timers[name];
  }
}
