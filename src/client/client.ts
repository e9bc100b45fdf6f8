import { isValidChannelName } from '../protocol/channel.js';
import { CloseCode, closeAction, type ErrorCode } from '../protocol/codes.js';
import {
  isReliableType,
  type ErrorFrame,
  type HelloFrame,
  type ServerFrame,
  type SnapshotFrame,
  type TransportName,
  type WelcomeFrame,
} from '../protocol/frames.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { ClientEvents, ClientOptions, ClientState, SendOptions } from './client-types.js';
import { backoffDelay } from './backoff.js';
import { ChannelBook } from './channel-book.js';
import { type Clock, systemClock } from './clock.js';
import { Emitter } from './emitter.js';
import { PushwireError } from './errors.js';
import { type TransportPlan, transportPlan } from './negotiation.js';
import { listenToPage, pageAway } from './page-events.js';
import { Outbox, type OutboundBody, type OutboxEntry } from './outbox.js';
import { type MessageInfo, type SubscribeOptions, Subscription, type SubscriptionHandlers } from './subscription.js';
import { transportMemory } from './transport-memory.js';
import type { Transport, TransportDefinition, TransportHandlers } from './transports/transport.js';
import { probeTransport } from './upgrade-probe.js';

type TimerName = 'connect' | 'retry' | 'deadline' | 'receipt' | 'probe';

const closedError = (message = 'the client is closed'): PushwireError => new PushwireError('closed', message);

/** The TypeError for a channel name that breaks the naming rule, or undefined if it is valid. */
const channelError = (channel: string): TypeError | undefined =>
  isValidChannelName(channel) ? undefined : new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);

/** Receipts (acks of server frames) go out after this many frames, or this long after the first unreceipted one. */
const RECEIPT_EVERY = 128;
const RECEIPT_DELAY = 1000;

export type {
  ClientEvents,
  ClientOptions,
  ClientState,
  CloseInfo,
  FallbackInfo,
  OpenInfo,
  ProbeInfo,
  ReconnectInfo,
  SendOptions,
  UpgradeInfo,
  UpgradeOptions,
} from './client-types.js';

/**
 * A Pushwire client: one logical session over whichever transport works, kept alive across
 * reconnects. Create it with `connect(url, options)`.
 */
export class PushwireClient extends Emitter<ClientEvents> {
  state: ClientState = 'connecting';
  /** The transport in use (or being tried); null once closed. */
  transport: TransportName | null = null;
  sessionId: string | null = null;

  private readonly url_: string;
  private readonly clock_: Clock;
  private readonly random_: () => number;
  private readonly plan_: TransportPlan;
  private readonly outbox_: Outbox;
  private readonly channels_ = new ChannelBook((body) => this.enqueue_(body));
  private readonly timers_: Partial<Record<TimerName, unknown>> = {};
  private readonly pings_ = new Map<number, { resolve: () => void; reject: (error: PushwireError) => void }>();
  private pipe_: Transport | null = null;
  /** The current pipe has not delivered the welcome yet: nothing but the hello goes out on it. */
  private awaitingWelcome_ = false;
  /** Queued `sub` frames up to this number followed the current pipe's hello at once (see sendHello_). */
  private pipelined_ = 0;
  /** When the current attempt's connect timeout expires (clock time). */
  private connectDeadline_ = 0;
  /** Set while the session moves onto a probed transport: the transport it leaves. */
  private upgradingFrom_: TransportName | null = null;
  /** The upgrade probe under way: its cancel function once started. */
  private probe_: { cancel_?: () => void } | null = null;
  private probeAttempt_ = 0;
  private secret_ = '';
  /** Reliable server frames received in this session, and how many of them the server knows we have. */
  private rx_ = 0;
  private receipted_ = 0;
  private heartbeatInterval_ = 0;
  private maxPayload_: number;
  private lastHeard_ = 0;
  private attempt_ = 0;
  private everOpen_ = false;
  private pingId_ = 0;
  private authInFlight_: Promise<unknown> | undefined;
  /** `snap` frames waiting for the ack of the `get` they answer, by its sequence number. */
  private readonly snapshots_ = new Map<number, SnapshotFrame>();
  /** Presence this client joined, by channel: joined again with a new session. */
  private readonly joined_ = new Map<string, unknown>();

  constructor(
    url: string,
    private readonly options_: ClientOptions = {},
  ) {
    super();
    const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
    // Endpoints hang under the path; a query string would be lost, and credentials don't belong in URLs.
    if (base.search) throw new TypeError('pushwire: no query string in the URL (credentials go in the auth option)');
    this.url_ = `${base.protocol.replace(/^ws/, 'http')}//${base.host}${base.pathname.replace(/\/+$/, '')}`;
    this.clock_ = options_.clock ?? systemClock;
    this.random_ = options_.random ?? Math.random;
    const memory = options_.transportMemory === false ? null : transportMemory(this.url_, options_.transportMemory ?? {}, () => this.clock_.now());
    this.plan_ = transportPlan(options_.transports ?? [], memory);
    this.maxPayload_ = options_.maxPayload ?? 65_536;
    this.outbox_ = new Outbox(options_.queue?.maxFrames ?? 1000, options_.queue?.maxBytes ?? 1 << 20);
    this.transport = this.plan_.current_().name;
    listenToPage(true, this.wake_);
    // The first attempt starts once the caller has had a chance to add listeners, so no event of it
    // (a fallback, say) goes unheard.
    queueMicrotask(() => this.state === 'connecting' && this.pipe_ === null && this.connectNow_());
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
    const invalid = channelError(channel);
    if (invalid) throw invalid;
    if (this.state === 'closed') throw closedError();
    const subscription = new Subscription<T>(channel, typeof handlers === 'function' ? { onMessage: handlers } : handlers, (s) =>
      this.leave_(s as Subscription),
    );
    this.channels_.add_(subscription as Subscription, options);
    return subscription;
  }

  /** Fetches a channel's state snapshot (used by synced state, `pushwire/sync`). */
  fetchState(channel: string): Promise<SnapshotFrame> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(closedError());
      const entry = this.enqueue_(
        { t: 'get', ch: channel },
        () => {
          const snapshot = this.snapshots_.get(entry.s);
          this.snapshots_.delete(entry.s);
          if (snapshot) resolve(snapshot);
          else reject(new PushwireError('internal', 'state request acknowledged without a snapshot'));
        },
        reject,
      );
    });
  }

  /** Joins a channel's presence with this metadata (again after a session is lost), or updates it. */
  joinPresence(channel: string, meta: unknown): Promise<void> {
    this.joined_.set(channel, meta ?? null);
    return this.submit_<void>({ t: 'join', ch: channel, meta: meta ?? null });
  }

  leavePresence(channel: string): Promise<void> {
    if (!this.joined_.delete(channel)) return Promise.resolve();
    return this.submit_<void>({ t: 'leave', ch: channel });
  }

  /**
   * Publishes to a channel; resolves when the server has handled it. Rejects with a PushwireError:
   * `too_large`, `queue_full`, `forbidden`, `timeout`, `session_lost` or `closed`.
   */
  publish(channel: string, data: unknown, options: SendOptions = {}): Promise<void> {
    const invalid = channelError(channel);
    if (invalid) return Promise.reject(invalid);
    return this.submit_<void>({ t: 'pub', ch: channel, d: data ?? null }, options.timeout);
  }

  /** Sends a message to the server application (its onMessage hook); resolves when it was handled. Rejects like `publish`. */
  send(data: unknown, options: SendOptions = {}): Promise<void> {
    return this.submit_<void>({ t: 'msg', d: data ?? null }, options.timeout);
  }

  /**
   * Asks the server application (its onRequest hook) and resolves with its answer. Rejects like
   * `publish`, plus `no_handler` and `handler_error`; `timeout` after `requestTimeout` (default 10 s).
   * The answer survives a reconnect; a request outlives only its session (`session_lost`).
   */
  request<T = unknown>(data: unknown, options: SendOptions = {}): Promise<T> {
    return this.submit_<T>({ t: 'req', d: data ?? null }, options.timeout ?? this.options_.requestTimeout ?? 10_000);
  }

  /** Measures the round trip to the server, ms. */
  ping(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.state !== 'open' || !this.pipe_) return reject(closedError('not connected'));
      const id = ++this.pingId_;
      const start = this.clock_.now();
      this.pings_.set(id, { resolve: () => resolve(this.clock_.now() - start), reject });
      this.pipe_.send(JSON.stringify({ t: 'ping', id }));
    });
  }

  /** Ends the session for good: tells the server, stops reconnecting, leaves no timer behind. */
  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') this.pipe_?.send('{"t":"bye"}');
    this.pipe_?.close();
    this.shutdown_(CloseCode.Normal, 'closed by the application');
  }

  // ---- connection lifecycle ----

  private connectNow_(): void {
    this.clearTimer_('retry');
    const definition = this.plan_.current_();
    let pipe: Transport | null = null;
    const handlers = this.bind_(() => pipe);
    this.transport = definition.name;
    this.awaitingWelcome_ = true;
    this.upgradingFrom_ = null;
    this.armConnectTimeout_(definition.name, 'connect');
    try {
      pipe = this.pipe_ = definition.create({ url: this.url_, handlers, WebSocket: this.options_.WebSocket });
    } catch (error) {
      this.lost_(1006, `${definition.name} unavailable: ${(error as Error).message}`);
    }
  }

  /** The session layer's handlers for one pipe; events of a pipe that is no longer current are ignored. */
  private bind_(pipeOf: () => Transport | null): TransportHandlers {
    const current = (): boolean => pipeOf() !== null && pipeOf() === this.pipe_;
    return {
      open: () => current() && void this.sendHello_(pipeOf()!),
      frame: (text) => current() && this.onFrame_(text),
      close: (code, reason) => current() && this.lost_(code, reason),
    };
  }

  /**
   * Once the hello is out on an open pipe, the welcome must arrive within welcomeTimeout, else this
   * transport counts as failed. (Started after the auth callback, so a slow token fetch is not blamed
   * on the transport.)
   */
  private startHealthCheck_(): void {
    const timeout = this.options_.welcomeTimeout ?? 5000;
    // One timer for both bounds: whichever comes first (the connect timeout may already be closer).
    if (this.clock_.now() + timeout < this.connectDeadline_) this.armTimeout_(this.transport!, 'health check', timeout);
  }

  /** The attempt on `transport` must reach the welcome within its connect timeout. */
  private armConnectTimeout_(transport: TransportName, what: 'connect' | 'upgrade'): void {
    const option = this.options_.connectTimeout;
    const timeout = (typeof option === 'number' ? option : option?.[transport]) ?? 10_000;
    this.connectDeadline_ = this.clock_.now() + timeout;
    this.armTimeout_(transport, `${what} timeout`, timeout);
  }

  /** Fails the attempt on `transport` (it falls back) unless the welcome comes within `timeout`. */
  private armTimeout_(transport: TransportName, what: string, timeout: number): void {
    this.setTimer_('connect', timeout, () => this.drop_(1006, `${transport}: no welcome within ${timeout} ms (${what})`));
  }

  private async sendHello_(pipe: Transport): Promise<void> {
    let auth: unknown;
    try {
      auth = await this.credentials_();
    } catch (error) {
      if (this.pipe_ !== pipe) return;
      this.awaitingWelcome_ = false; // the application's failure, not the transport's: no fallback
      this.drop_(1006, `auth callback failed: ${(error as Error).message}`);
      return;
    }
    if (this.pipe_ !== pipe) return;
    const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION };
    if (auth !== undefined) hello.auth = auth;
    if (this.sessionId) Object.assign(hello, { sid: this.sessionId, secret: this.secret_, rx: this.rx_ });
    this.startHealthCheck_();
    let text = JSON.stringify(hello);
    // Before the first session, queued subscriptions follow the hello at once instead of a round trip
    // later, after the welcome: the new session numbers frames from 1 like the outbox, and the welcome
    // keeps that numbering. Only the leading `sub` frames: one handled by a session whose welcome never
    // arrives is harmless, where a publish would be handled twice. They go in the hello's own message
    // (frames separated by `\n`): one write, one request over HTTP, while the batch surely fits the max
    // payload (a UTF-16 unit is at most 3 bytes of UTF-8).
    this.pipelined_ = 0;
    if (this.sessionId === null && !this.joined_.size) {
      for (const entry of this.outbox_.entries_) {
        // The server holds at most 256 frames before the welcome.
        if (entry.body_.t !== 'sub' || entry.s > 128 || (text.length + entry.text_.length) * 3 >= this.maxPayload_) break;
        text += '\n' + entry.text_;
        this.pipelined_ = entry.s;
      }
    }
    pipe.send(text);
  }

  /**
   * The `auth` option's value, or a fresh result of its function. Calls made while one is still running
   * share it, so two connection attempts (e.g. a fallback and an upgrade probe) never refresh a token twice.
   */
  private credentials_(): Promise<unknown> {
    const option = this.options_.auth;
    if (typeof option !== 'function') return Promise.resolve(option);
    this.authInFlight_ ??= Promise.resolve()
      .then(option as () => unknown)
      .finally(() => (this.authInFlight_ = undefined));
    return this.authInFlight_;
  }

  /** Ends the current pipe from this side, then handles it like any lost connection. */
  private drop_(code: number, reason: string, retry?: number): void {
    this.pipe_?.close();
    this.lost_(code, reason, retry);
  }

  /** The pipe ended. `retry`: the server asked to reconnect after a random delay below it (a shutdown spread). */
  private lost_(code: number, reason: string, retry?: number): void {
    this.pipe_ = null;
    const failedAttempt = this.awaitingWelcome_;
    this.awaitingWelcome_ = false;
    this.upgradingFrom_ = null;
    for (const name of ['connect', 'deadline', 'receipt', 'probe'] as const) this.clearTimer_(name);
    this.stopProbe_();
    this.rejectPings_(reason);
    if (this.state === 'closed') return;
    const action = closeAction(code);
    if (action === 'stop' || (action === 'reauth' && typeof this.options_.auth !== 'function')) {
      this.emit_('error', closedError(`refused by the server (${code}): ${reason}`));
      this.shutdown_(code, reason);
      return;
    }
    if (!this.setState_(this.everOpen_ ? 'reconnecting' : 'connecting')) return; // a listener closed the client
    if (failedAttempt && retry === undefined) {
      // Before the welcome, any failure is the transport's (unless the server asked for a later
      // retry: a shutdown): the next transport gets its chance at once.
      const from = this.transport!;
      const next = this.plan_.advance_();
      this.emit_('fallback', { from, to: next?.name ?? null, code, reason });
      if ((this.state as ClientState) === 'closed') return; // a listener closed the client
      if (next) {
        this.setTimer_('retry', 0, () => this.connectNow_());
        return;
      }
    }
    this.plan_.restart_();
    const delay = retry === undefined ? backoffDelay(this.attempt_, this.options_.reconnect ?? {}, this.random_) : this.random_() * retry;
    this.attempt_++;
    this.setTimer_('retry', delay, () => this.connectNow_());
    this.emit_('reconnecting', { attempt: this.attempt_, delay, code, reason });
  }

  private shutdown_(code: number, reason: string): void {
    if (this.state === 'closed') return; // an 'error' listener already closed the client
    this.pipe_ = null;
    this.stopProbe_();
    for (const name of Object.keys(this.timers_) as TimerName[]) this.clearTimer_(name);
    listenToPage(false, this.wake_);
    this.rejectPings_(reason);
    this.transport = null;
    this.setState_('closed');
    this.outbox_.rejectAll_(closedError(reason));
    this.emit_('close', { code, reason });
  }

  private rejectPings_(reason: string): void {
    for (const { reject } of this.pings_.values()) reject(closedError(`connection lost: ${reason}`));
    this.pings_.clear();
  }

  /** Returns false if a 'state' listener moved the client on (closed it) meanwhile: stop what was going on. */
  private setState_(state: ClientState): boolean {
    if (this.state === state) return true;
    this.state = state;
    this.emit_('state', state);
    return this.state === state;
  }

  // ---- frames from the server ----

  private onFrame_(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      this.emit_('error', new PushwireError('bad_frame', 'a server frame is not JSON'));
      return;
    }
    this.lastHeard_ = this.clock_.now();
    if (isReliableType(frame.t)) {
      this.rx_++;
      if (this.rx_ - this.receipted_ >= RECEIPT_EVERY) this.sendReceipt_();
      // Jittered: after a broadcast, a thousand clients' receipts should not all land in the same millisecond.
      else if (this.timers_.receipt === undefined) this.setTimer_('receipt', RECEIPT_DELAY * (0.5 + this.random_()), () => this.sendReceipt_());
    }
    switch (frame.t) {
      case 'welcome':
        return this.onWelcome_(frame);
      case 'm':
        return this.channels_.message_(frame);
      case 'subd':
        return this.channels_.subscribed_(frame);
      case 'err':
        return this.onErrorFrame_(frame);
      case 'msg':
        return this.emit_('message', frame.d);
      case 'res':
        return this.outbox_.take_(frame.s)?.resolve_?.(frame.d);
      case 'snap':
        return void this.snapshots_.set(frame.s, frame);
      case 'ack':
        return this.outbox_.ack_(frame.s);
      case 'ping':
        this.receipted_ = this.rx_;
        return this.pipe_?.send(JSON.stringify({ t: 'pong', n: this.rx_ }));
      case 'pong': {
        const ping = this.pings_.get(frame.id);
        this.pings_.delete(frame.id);
        return ping?.resolve();
      }
      case 'close':
        return this.drop_(frame.code, frame.reason, frame.retry);
    }
  }

  private onWelcome_(welcome: WelcomeFrame): void {
    this.clearTimer_('connect');
    this.awaitingWelcome_ = false;
    const upgradedFrom = this.upgradingFrom_;
    this.upgradingFrom_ = null;
    this.plan_.succeeded_();
    const resumed = welcome.resumed && welcome.sid === this.sessionId;
    // Frames up to `pipelined` went out behind this pipe's hello: the first session has them already.
    const pipelined = this.sessionId === null ? this.pipelined_ : 0;
    this.sessionId = welcome.sid;
    this.secret_ = welcome.secret;
    this.rx_ = this.receipted_ = welcome.rx;
    this.heartbeatInterval_ = welcome.hb;
    this.maxPayload_ = welcome.max;
    if (!resumed && pipelined === 0) this.startSession_();
    else if (resumed && welcome.resync) this.resync_();
    this.attempt_ = 0;
    this.everOpen_ = true;
    if (!this.setState_('open')) return;
    this.armDeadline_();
    // Everything not yet acknowledged goes again: the server drops what it already handled.
    for (const entry of this.outbox_.entries_) {
      if (entry.s <= pipelined) continue;
      entry.sent_ = true;
      this.pipe_!.send(entry.text_);
    }
    this.emit_('open', { resumed, moved: resumed && welcome.resync === true, transport: this.transport! });
    if (upgradedFrom) this.emit_('upgrade', { from: upgradedFrom, to: this.transport! });
    this.scheduleProbe_();
  }

  // ---- upgrade back to the preferred transport ----

  /** On a fallback, probes the preferred transport later (WebSocket: the only one that can be probed before a handshake). */
  private scheduleProbe_(): number {
    const target = this.options_.transports![0]!;
    const upgrade = this.options_.upgrade;
    if (upgrade === false || target.name !== 'websocket' || this.transport === target.name || this.probe_ || this.timers_.probe !== undefined) return 0;
    const { min = 10_000, max = 300_000 } = upgrade ?? {};
    const cap = Math.min(max, min * 2 ** this.probeAttempt_);
    const delay = cap / 2 + (this.random_() * cap) / 2;
    this.setTimer_('probe', delay, () => this.startProbe_(target));
    return delay;
  }

  private startProbe_(target: TransportDefinition): void {
    if (this.state !== 'open' || this.awaitingWelcome_) return;
    const timeout = (this.options_.upgrade || {}).timeout ?? this.options_.welcomeTimeout ?? 5000;
    const probe: { cancel_?: () => void } = (this.probe_ = {});
    probe.cancel_ = probeTransport(target, { url: this.url_, WebSocket: this.options_.WebSocket }, this.clock_, timeout, (result) => {
      if (this.probe_ !== probe) return;
      this.probe_ = null;
      if (result.ok) return this.switchTo_(target, result.pipe, result.adopt);
      this.probeAttempt_++;
      this.emit_('probe', { transport: target.name, reason: result.reason, next: this.scheduleProbe_() });
    });
  }

  private stopProbe_(): void {
    this.probe_?.cancel_?.();
    this.probe_ = null;
  }

  /**
   * Moves the session onto a probed pipe: resume the session on another pipe. The old pipe is no longer
   * read from this moment, so `rx` (frames received) is fixed at what it delivered; the resume hello
   * carries it and the server, attaching the session to the new pipe (and closing the old with 4102),
   * replays everything after it. Frames to the server wait for the welcome and then go again from the
   * outbox; the server drops those it already handled. Nothing is lost, nothing is delivered twice.
   */
  private switchTo_(definition: TransportDefinition, pipe: Transport, adopt: (handlers: TransportHandlers) => void): void {
    if (this.state !== 'open' || !this.pipe_ || this.awaitingWelcome_) {
      pipe.close();
      return;
    }
    const old = this.pipe_;
    this.upgradingFrom_ = this.transport;
    this.pipe_ = pipe;
    this.transport = definition.name;
    this.plan_.restart_(definition.name);
    this.awaitingWelcome_ = true;
    adopt(this.bind_(() => pipe));
    old.close();
    this.armConnectTimeout_(definition.name, 'upgrade');
    void this.sendHello_(pipe);
  }

  /**
   * A new session (the first, or after the old one expired): subscriptions are made again from their
   * positions, so the server replays what it can and resets the rest.
   */
  private startSession_(): void {
    // Presence first, so the presence lists the subscriptions below bring back already include us.
    const leading: OutboundBody[] = [...this.joined_].map(([ch, meta]) => ({ t: 'join', ch, meta }));
    this.snapshots_.clear();
    this.channels_.restart_(this.outbox_, leading);
  }

  /**
   * The session went on on another server node: it knows what we sent (its ack follows) but not our
   * channels, so presence and subscriptions are made again from their positions; the outbox goes on.
   */
  private resync_(): void {
    for (const [ch, meta] of this.joined_) this.enqueue_({ t: 'join', ch, meta });
    this.channels_.resubscribeAll_();
  }

  private onErrorFrame_(frame: ErrorFrame): void {
    const error = new PushwireError(frame.code as ErrorCode, frame.msg);
    const entry = frame.s === undefined ? undefined : this.outbox_.take_(frame.s);
    entry?.reject_?.(error);
    if (entry?.body_.t === 'sub') this.channels_.refused_(entry.body_.ch, entry.s, error);
    if (!entry) this.emit_('error', error);
  }

  // ---- frames to the server ----

  /** Queues an application frame; the promise settles with its ack or answer, its error, or the timeout. */
  /** `timeout`: undefined for the ackTimeout option's. */
  private submit_<T>(body: OutboundBody, timeout = this.options_.ackTimeout ?? 0): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.state === 'closed') return reject(closedError());
      let timer: unknown;
      const stop = (): void => {
        if (timer !== undefined) this.clock_.clearTimeout(timer);
      };
      let entry: OutboxEntry;
      try {
        entry = this.enqueue_(
          body,
          (value) => (stop(), resolve(value as T)),
          (error) => (stop(), reject(error)),
        );
      } catch (error) {
        return reject(error);
      }
      if (timeout > 0) {
        timer = this.clock_.setTimeout(() => {
          const what = entry.sent_ ? 'sent, so it may still be handled (once at most)' : 'never sent';
          this.outbox_.expire_(entry, new PushwireError('timeout', `no ${body.t === 'req' ? 'answer' : 'ack'} within ${timeout} ms; ${what}`));
        }, timeout);
      }
    });
  }

  private enqueue_(body: OutboundBody, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry {
    const entry = this.outbox_.add_(body, this.maxPayload_, resolve, reject);
    if (this.state === 'open' && this.pipe_ && !this.awaitingWelcome_ && this.checkAlive_()) {
      entry.sent_ = true;
      this.pipe_.send(entry.text_);
    }
    return entry;
  }

  private leave_(subscription: Subscription): Promise<void> {
    if (!this.channels_.remove_(subscription) || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue_({ t: 'unsub', ch: subscription.channel }, () => resolve(), reject));
  }

  private sendReceipt_(): void {
    this.clearTimer_('receipt');
    if (this.state !== 'open' || !this.pipe_ || this.awaitingWelcome_ || this.rx_ === this.receipted_) return;
    this.receipted_ = this.rx_;
    this.pipe_.send(JSON.stringify({ t: 'ack', n: this.rx_ }));
  }

  // ---- liveness ----

  private deadline_(): number {
    return this.lastHeard_ + this.heartbeatInterval_ + (this.options_.heartbeatGrace ?? this.heartbeatInterval_ / 2);
  }

  /** Declares the connection dead if the server has been silent past its deadline. Cheap: call it often. */
  private checkAlive_(): boolean {
    if (this.state !== 'open' || this.clock_.now() <= this.deadline_()) return true;
    this.drop_(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
    return false;
  }

  /** One timer at the deadline; traffic meanwhile only moves the deadline, the timer re-arms when it fires. */
  private armDeadline_(): void {
    this.setTimer_('deadline', Math.max(0, this.deadline_() - this.clock_.now()) + 1, () => {
      if (this.checkAlive_()) this.armDeadline_();
    });
  }

  /**
   * Background tabs throttle timers, and a sleeping laptop stops them: whenever the page may have come
   * back (visible, online, restored, focused) check the deadline at once, and retry a reconnect now
   * instead of waiting out the backoff.
   */
  private readonly wake_ = (): void => {
    if (this.state === 'open' && this.checkAlive_()) return;
    // Waiting to retry, or the check just found the connection dead: try now.
    if (this.timers_.retry !== undefined && !pageAway()) this.connectNow_();
  };

  private setTimer_(name: TimerName, ms: number, fn: () => void): void {
    this.clearTimer_(name);
    this.timers_[name] = this.clock_.setTimeout(() => {
      delete this.timers_[name];
      fn();
    }, ms);
  }

  private clearTimer_(name: TimerName): void {
    if (this.timers_[name] === undefined) return;
    this.clock_.clearTimeout(this.timers_[name]);
    delete this.timers_[name];
  }
}
