import { isValidChannelName } from '../protocol/channel.js';
import { CloseCode, closeAction, type ErrorCode } from '../protocol/codes.js';
import {
  type GoodbyeFrame,
  isReliableType,
  type HelloFrame,
  type ServerFrame,
  type SnapshotFrame,
  type TransportName,
} from '../protocol/frames.js';
import { BYE_PATH } from '../protocol/http.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';
import type { ClientEvents, ClientOptions, ClientState, SendOptions } from './client-types.js';
import { backoffDelay } from './backoff.js';
import { channelBook } from './channel-book.js';
import { systemClock } from './clock.js';
import { Emitter } from './emitter.js';
import { PushwireError } from './errors.js';
import { transportPlan } from './negotiation.js';
import { listenToPage, pageAway } from './page-events.js';
import { type OutboundBody, type OutboxEntry, createOutbox } from './outbox.js';
import { type MessageInfo, type SubscribeOptions, Subscription, type SubscriptionHandlers } from './subscription.js';
import { transportMemory } from './transport-memory.js';
import type { ReceiptPacing, Transport, TransportDefinition, TransportHandlers } from './transports/transport.js';
import { isPong } from './upgrade-probe.js';

type TimerName = 'connect' | 'retry' | 'deadline' | 'receipt' | 'probe';

const closedError = (message = 'the client is closed'): PushwireError => new PushwireError('closed', message);

/** The TypeError for a channel name that breaks the naming rule, or undefined if it is valid. */
const channelError = (channel: string): TypeError | undefined =>
  isValidChannelName(channel) ? undefined : new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);

/**
 * Receipts (acks of server frames) go out after this many frames, with every `pong`, and this long after
 * the first unreceipted frame the session holds alone. A channel message (`m`) starts no timer: the
 * server holds one copy for all its subscribers and asks with a `ping` once a session holds enough
 * (PROTOCOL.md SC6), so a healthy stream of broadcasts costs it no receipts between heartbeats.
 */
const DEFAULT_RECEIPTS: ReceiptPacing = { every: 128, delay: 1000 };

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

type Emit = <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void;

/** The session machinery behind PushwireClient's public methods (see `session`). */
interface Session {
  subscribe_<T>(channel: string, handlers: SubscriptionHandlers<T>, options: SubscribeOptions): Subscription<T>;
  join_(channel: string, meta: unknown): Promise<void>;
  leave_(channel: string): Promise<void>;
  /** Queues a frame; the promise settles with its ack or answer, its error, or the timeout (default: the option's). */
  submit_<T>(body: OutboundBody, timeout?: number): Promise<T>;
  ping_(): Promise<number>;
  close_(): void;
}

/**
 * A Pushwire client: one logical session over whichever transport works, kept alive across
 * reconnects. Create it with `connect(url, options)`.
 */
export class PushwireClient extends Emitter<ClientEvents> {
  state: ClientState = 'connecting';
  /** The transport in use (or being tried); null once closed. */
  transport: TransportName | null = null;
  sessionId: string | null = null;
  private readonly session_: Session;

  constructor(url: string, options: ClientOptions = {}) {
    super();
    this.session_ = session(this, url, options, (event, ...args) => this.emit_(event, ...args));
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
    return this.session_.subscribe_(channel, typeof handlers === 'function' ? { onMessage: handlers } : handlers, options);
  }

  /** Fetches a channel's state snapshot (used by synced state, `pushwire/sync`). */
  fetchState(channel: string): Promise<SnapshotFrame> {
    return this.session_.submit_({ t: 'get', ch: channel }, 0);
  }

  /** Joins a channel's presence with this metadata (again after a session is lost), or updates it. */
  joinPresence(channel: string, meta: unknown): Promise<void> {
    return this.session_.join_(channel, meta ?? null);
  }

  leavePresence(channel: string): Promise<void> {
    return this.session_.leave_(channel);
  }

  /**
   * Publishes to a channel; resolves when the server has handled it. Rejects with a PushwireError:
   * `too_large`, `queue_full`, `forbidden`, `timeout`, `session_lost` or `closed`.
   */
  publish(channel: string, data: unknown, options: SendOptions = {}): Promise<void> {
    const invalid = channelError(channel);
    return invalid ? Promise.reject(invalid) : this.session_.submit_({ t: 'pub', ch: channel, d: data ?? null }, options.timeout);
  }

  /** Sends a message to the server application (its onMessage hook); resolves when it was handled. Rejects like `publish`. */
  send(data: unknown, options: SendOptions = {}): Promise<void> {
    return this.session_.submit_({ t: 'msg', d: data ?? null }, options.timeout);
  }

  /**
   * Asks the server application (its onRequest hook) and resolves with its answer. Rejects like
   * `publish`, plus `no_handler` and `handler_error`; `timeout` after `requestTimeout` (default 10 s).
   * The answer survives a reconnect; a request outlives only its session (`session_lost`).
   */
  request<T = unknown>(data: unknown, options: SendOptions = {}): Promise<T> {
    return this.session_.submit_({ t: 'req', d: data ?? null }, options.timeout);
  }

  /** Measures the round trip to the server, ms. */
  ping(): Promise<number> {
    return this.session_.ping_();
  }

  /** Ends the session for good: tells the server, stops reconnecting, leaves no timer behind. */
  close(): void {
    this.session_.close_();
  }
}

/**
 * The client's state machine (connecting → open → reconnecting → closed), written as a closure
 * rather than as a class with underscored members: its state then minifies to local names. It keeps
 * `client`'s public fields (state, transport, sessionId) up to date and emits its events through `emit`.
 */
function session(client: PushwireClient, url: string, options: ClientOptions, emit: Emit): Session {
  const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  // Endpoints hang under the path; a query string would be lost, and credentials don't belong in URLs.
  if (base.search) throw new TypeError('pushwire: no query string in the URL (credentials go in the auth option)');
  const endpoint = `${base.protocol.replace(/^ws/, 'http')}//${base.host}${base.pathname.replace(/\/+$/, '')}`;
  const welcomeTimeout = options.welcomeTimeout ?? 5000;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const plan = transportPlan(
    options.transports ?? [],
    options.transportMemory === false ? null : transportMemory(endpoint, options.transportMemory ?? {}, () => clock.now()),
  );
  const outbox = createOutbox(options.queue?.maxFrames ?? 1000, options.queue?.maxBytes ?? 1 << 20);
  const channels = channelBook((body) => enqueue(body));
  const timers: Partial<Record<TimerName, unknown>> = {};
  const pings = new Map<number, { resolve: () => void; reject: (error: PushwireError) => void }>();
  /** Presence this client joined, by channel: joined again with a new session. */
  const joined = new Map<string, unknown>();
  /** client.state, kept here too (the closure reads it often). */
  let state: ClientState = 'connecting';
  let pipe: Transport | null = null;
  /** The current pipe has not delivered the welcome yet: nothing but the hello goes out on it. */
  let awaitingWelcome = false;
  /** Queued `sub` frames up to this number followed the current pipe's hello at once (see sendHello). */
  let pipelined = 0;
  /** When the current attempt's connect timeout expires (clock time). */
  let connectDeadline = 0;
  /** Set while the session moves onto a probed transport: the transport it leaves. */
  let upgradingFrom: TransportName | null = null;
  /** The upgrade probe under way: its cancel function. */
  let probe: (() => unknown) | null = null;
  let probeAttempt = 0;
  /** The session's resume secret; empty while there is none to resume (before the first welcome, after 4201). */
  let secret = '';
  /** Reliable server frames received in this session, and how many of them the server knows we have. */
  let rx = 0;
  let receipted = 0;
  let heartbeatInterval = 0;
  let maxPayload = options.maxPayload ?? 65_536;
  let lastHeard = 0;
  let attempt = 0;
  let everOpen = false;
  let pingId = 0;
  let authInFlight: Promise<unknown> | undefined;

  // ---- timers ----

  const setTimer = (name: TimerName, ms: number, fn: () => void): void => {
    clearTimer(name);
    timers[name] = clock.setTimeout(() => {
      delete timers[name];
      fn();
    }, ms);
  };

  const clearTimer = (name: TimerName): void => {
    if (timers[name] === undefined) return;
    clock.clearTimeout(timers[name]);
    delete timers[name];
  };

  /** Clears every timer but `keep`. */
  const clearTimers = (keep?: TimerName): void => {
    for (const name of Object.keys(timers) as TimerName[]) if (name !== keep) clearTimer(name);
  };

  /** The pipe if the session is open on it (welcomed): frames may go out. */
  const openPipe = (): Transport | null => (state === 'open' && !awaitingWelcome ? pipe : null);

  const setState = (next: ClientState): boolean => {
    // Returns false if a 'state' listener moved the client on (closed it) meanwhile: stop what was going on.
    if (state === next) return true;
    client.state = state = next;
    emit('state', next);
    return state === next;
  };

  // ---- connection lifecycle ----

  const connectNow = (): void => {
    clearTimer('retry');
    const definition = plan.current_();
    let current: Transport | null = null;
    const handlers = bind(() => current);
    client.transport = definition.name;
    awaitingWelcome = true;
    upgradingFrom = null;
    armConnectTimeout(definition.name, 'connect');
    try {
      current = pipe = definition.create({ url: endpoint, handlers, WebSocket: options.WebSocket });
    } catch (error) {
      lost(1006, `${definition.name} unavailable: ${(error as Error).message}`);
    }
  };

  /** The session layer's handlers for one pipe; events of a pipe that is no longer current are ignored. */
  const bind = (pipeOf: () => Transport | null): TransportHandlers => {
    const current = (): boolean => pipeOf() !== null && pipeOf() === pipe;
    return {
      open: () => current() && void sendHello(pipeOf()!),
      frame: (text) => current() && onFrame(text),
      close: (code, reason) => current() && lost(code, reason),
    };
  };

  /**
   * The attempt on `transport` must reach the welcome within its connect timeout. WebSocket's default
   * is shorter: behind a proxy that swallows upgrades every first visit waits it out, while a false
   * fallback on a slow network only costs a while on SSE (the probe moves the session back).
   */
  const armConnectTimeout = (transport: TransportName, what: 'connect' | 'upgrade'): void => {
    const option = options.connectTimeout;
    const timeout = (typeof option === 'number' ? option : option?.[transport]) ?? (transport === 'websocket' ? 4_000 : 10_000);
    connectDeadline = clock.now() + timeout;
    armTimeout(transport, `${what} timeout`, timeout);
  };

  /** Fails the attempt on `transport` (it falls back) unless the welcome comes within `timeout`. */
  const armTimeout = (transport: TransportName, what: string, timeout: number): void =>
    setTimer('connect', timeout, () => drop(1006, `${transport}: no welcome within ${timeout} ms (${what})`));

  const sendHello = async (to: Transport): Promise<void> => {
    let auth: unknown;
    try {
      auth = await credentials();
    } catch (error) {
      if (pipe !== to) return;
      awaitingWelcome = false; // the application's failure, not the transport's: no fallback
      drop(1006, `auth callback failed: ${(error as Error).message}`);
      return;
    }
    if (pipe !== to) return;
    // (An undefined field, e.g. no auth, is left out by JSON.stringify.)
    const hello: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION, auth };
    if (client.sessionId && secret) Object.assign(hello, { sid: client.sessionId, secret, rx });
    // Once the hello is out on an open pipe, the welcome must arrive within welcomeTimeout, else this
    // transport counts as failed. (Started after the auth callback, so a slow token fetch is not blamed
    // on the transport.) One timer for both bounds: whichever comes first (the connect timeout may
    // already be closer).
    if (clock.now() + welcomeTimeout < connectDeadline) armTimeout(client.transport!, 'health check', welcomeTimeout);
    let text = JSON.stringify(hello);
    // Before the first session, queued subscriptions follow the hello at once instead of a round trip
    // later, after the welcome: the new session numbers frames from 1 like the outbox, and the welcome
    // keeps that numbering. Only the leading `sub` frames: one handled by a session whose welcome never
    // arrives is harmless, where a publish would be handled twice. They go in the hello's own message
    // (frames separated by `\n`): one write, one request over HTTP, while the batch surely fits the max
    // payload (a UTF-16 unit is at most 3 bytes of UTF-8).
    pipelined = 0;
    if (client.sessionId === null && !joined.size) {
      for (const entry of outbox.entries_) {
        // The server holds at most 256 frames before the welcome.
        if (entry.body_.t !== 'sub' || entry.s > 128 || (text.length + entry.text_.length) * 3 >= maxPayload) break;
        text += '\n' + entry.text_;
        pipelined = entry.s;
      }
    }
    to.send(text);
  };

  /**
   * The `auth` option's value, or a fresh result of its function. Calls made while one is still running
   * share it, so two connection attempts (e.g. a fallback and an upgrade probe) never refresh a token twice.
   */
  const credentials = (): Promise<unknown> => {
    const option = options.auth;
    if (typeof option !== 'function') return Promise.resolve(option);
    return (authInFlight ??= Promise.resolve()
      .then(option as () => unknown)
      .finally(() => (authInFlight = undefined)));
  };

  /** Ends the current pipe from this side, then handles it like any lost connection. */
  const drop = (code: number, reason: string, retry?: number): void => {
    pipe?.close();
    lost(code, reason, retry);
  };

  /** The pipe ended. `retry`: the server asked to reconnect after a random delay below it (a shutdown spread). */
  const lost = (code: number, reason: string, retry?: number): void => {
    pipe = null;
    const failedAttempt = awaitingWelcome;
    awaitingWelcome = false;
    upgradingFrom = null;
    clearTimers('retry');
    stopProbe();
    rejectPings(reason);
    if (state === 'closed') return;
    // The session belongs to another user than the credentials now name (a switch of accounts): the
    // next hello starts a new session (no secret: see sendHello), which reports the old one as lost.
    if (code === CloseCode.OtherUser) secret = '';
    const action = closeAction(code);
    if (action === 'stop' || (action === 'reauth' && typeof options.auth !== 'function')) {
      emit('error', closedError(`refused by the server (${code}): ${reason}`));
      shutdown(code, reason);
      return;
    }
    if (!setState(everOpen ? 'reconnecting' : 'connecting')) return; // a listener closed the client
    if (failedAttempt && retry === undefined) {
      // Before the welcome, any failure is the transport's (unless the server asked for a later
      // retry: a shutdown): the next transport gets its chance at once.
      const from = client.transport!;
      const next = plan.advance_();
      emit('fallback', { from, to: next?.name ?? null, code, reason });
      if ((state as ClientState) === 'closed') return; // a listener closed the client
      if (next) return setTimer('retry', 0, connectNow);
    }
    plan.restart_();
    const delay = retry === undefined ? backoffDelay(attempt, options.reconnect ?? {}, random) : random() * retry;
    attempt++;
    setTimer('retry', delay, connectNow);
    emit('reconnecting', { attempt, delay, code, reason });
  };

  const shutdown = (code: number, reason: string): void => {
    if (state === 'closed') return; // an 'error' listener already closed the client
    pipe = null;
    stopProbe();
    clearTimers();
    listenToPage(false, wake, unload);
    rejectPings(reason);
    client.transport = null;
    setState('closed');
    outbox.rejectAll_(closedError(reason));
    emit('close', { code, reason });
  };

  const rejectPings = (reason: string): void => {
    for (const { reject } of pings.values()) reject(closedError(`connection lost: ${reason}`));
    pings.clear();
  };

  // ---- frames from the server ----

  const onFrame = (text: string): void => {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return emit('error', new PushwireError('bad_frame', 'a server frame is not JSON'));
    }
    lastHeard = clock.now();
    if (isReliableType(frame.t)) {
      rx++;
      const { every, delay } = plan.current_().receipts ?? DEFAULT_RECEIPTS;
      if (rx - receipted >= every) sendReceipt();
      // Jittered: a thousand clients' receipts should not all land in the same millisecond.
      else if (frame.t !== 'm' && timers.receipt === undefined) setTimer('receipt', delay * (0.5 + random()), sendReceipt);
    }
    switch (frame.t) {
      case 'welcome': {
        clearTimer('connect');
        awaitingWelcome = false;
        const upgradedFrom = upgradingFrom;
        upgradingFrom = null;
        plan.succeeded_();
        const resumed = frame.resumed && frame.sid === client.sessionId;
        // Frames up to `sentWithHello` went out behind this pipe's hello: the first session has them already.
        const sentWithHello = client.sessionId === null ? pipelined : 0;
        client.sessionId = frame.sid;
        secret = frame.secret;
        rx = receipted = frame.rx;
        heartbeatInterval = frame.hb;
        maxPayload = frame.max;
        if (!resumed && sentWithHello === 0) {
          // A new session (the first, or after the old one expired): subscriptions are made again from
          // their positions, so the server replays what it can and resets the rest. Presence first, so
          // the presence lists the subscriptions bring back already include us.
          channels.restart_(
            outbox,
            [...joined].map(([ch, meta]): OutboundBody => ({ t: 'join', ch, meta })),
          );
        } else if (resumed && frame.resync) {
          // The session went on on another server node: it knows what we sent (its ack follows) but
          // not our channels, so presence and subscriptions are made again from their positions; the
          // outbox goes on.
          for (const [ch, meta] of joined) enqueue({ t: 'join', ch, meta });
          channels.resubscribeAll_();
        }
        attempt = 0;
        everOpen = true;
        if (!setState('open')) return;
        armDeadline();
        // Everything not yet acknowledged goes again: the server drops what it already handled.
        for (const entry of outbox.entries_) {
          if (entry.s <= sentWithHello) continue;
          entry.sent_ = true;
          pipe!.send(entry.text_);
        }
        emit('open', { resumed, moved: resumed && frame.resync === true, transport: client.transport! });
        if (upgradedFrom) emit('upgrade', { from: upgradedFrom, to: client.transport! });
        scheduleProbe();
        return;
      }
      case 'm':
        return channels.message_(frame);
      case 'subd':
        return channels.subscribed_(frame);
      case 'err': {
        const error = new PushwireError(frame.code as ErrorCode, frame.msg);
        const entry = frame.s === undefined ? undefined : outbox.take_(frame.s);
        entry?.reject_?.(error);
        if (entry?.body_.t === 'sub') channels.refused_(entry.body_.ch, entry.s, error);
        if (!entry) emit('error', error);
        return;
      }
      case 'msg':
        return emit('message', frame.d);
      case 'res':
        return outbox.take_(frame.s)?.resolve_?.(frame.d);
      case 'snap': {
        // Kept with its `get` until the ack, which settles the get with it.
        const entry = outbox.entries_.find((waiting) => waiting.s === frame.s);
        if (entry) entry.answer_ = frame;
        return;
      }
      case 'ack':
        return outbox.ack_(frame.s);
      case 'ping':
        // The pong is a receipt.
        clearTimer('receipt');
        receipted = rx;
        return pipe?.send(JSON.stringify({ t: 'pong', n: rx }));
      case 'pong': {
        const ping = pings.get(frame.id);
        pings.delete(frame.id);
        return ping?.resolve();
      }
      case 'close':
        return drop(frame.code, frame.reason, frame.retry);
    }
  };

  // ---- upgrade back to the preferred transport ----

  /** On a fallback, probes the preferred transport later (WebSocket: the only one that can be probed before a handshake). */
  const scheduleProbe = (): number => {
    const target = options.transports![0]!;
    const upgrade = options.upgrade;
    if (upgrade === false || target.name !== 'websocket' || client.transport === target.name || probe || timers.probe !== undefined)
      return 0;
    const { min = 10_000, max = 300_000 } = upgrade ?? {};
    const cap = Math.min(max, min * 2 ** probeAttempt);
    const delay = cap / 2 + (random() * cap) / 2;
    setTimer('probe', delay, () => startProbe(target));
    return delay;
  };

  /**
   * Tries the preferred transport beside the working one: opens a pipe and checks that a ping before
   * the handshake comes back as a pong within the timeout. A pipe that passes gets the session moved
   * onto it (switchTo); one that fails is closed, and the next probe is scheduled. This catches the
   * proxy that accepts a WebSocket upgrade and then passes nothing, without ever disturbing the session.
   */
  const startProbe = (target: TransportDefinition): void => {
    if (!openPipe()) return;
    const timeout = (options.upgrade || {}).timeout ?? welcomeTimeout;
    let candidate: Transport | undefined;
    /** Ends this probe (its timer too); false if it ended already. */
    const end = (): boolean => {
      if (probe !== cancel) return false;
      probe = null;
      clearTimer('probe');
      return true;
    };
    const fail = (reason: string): void => {
      if (!end()) return;
      candidate?.close();
      probeAttempt++;
      emit('probe', { transport: target.name, reason, next: scheduleProbe() });
    };
    const cancel = (probe = () => end() && candidate?.close());
    // The pipe's events are the probe's until the session moves onto it (switchTo), then the session's.
    const sessionHandlers = bind(() => candidate ?? null);
    const adopted = (): boolean => candidate === pipe;
    setTimer('probe', timeout, () => fail(`no pong within ${timeout} ms`));
    try {
      candidate = target.create({
        url: endpoint,
        WebSocket: options.WebSocket,
        handlers: {
          // The server answers a `ping` before `hello` with a `pong` (isPong).
          open: () => candidate?.send('{"t":"ping","id":0}'),
          frame: (text) => (adopted() ? sessionHandlers.frame(text) : isPong(text) && end() && switchTo(target, candidate!)),
          close: (code, reason) => (adopted() ? sessionHandlers.close(code, reason) : fail(`closed (${code}) ${reason}`)),
        },
      });
    } catch (error) {
      fail(`unavailable: ${(error as Error).message}`);
    }
  };

  const stopProbe = (): void => void probe?.();

  /**
   * Moves the session onto a probed pipe: resume the session on another pipe. The old pipe is no longer
   * read from this moment, so `rx` (frames received) is fixed at what it delivered; the resume hello
   * carries it and the server, attaching the session to the new pipe (and closing the old with 4102),
   * replays everything after it. Frames to the server wait for the welcome and then go again from the
   * outbox; the server drops those it already handled. Nothing is lost, nothing is delivered twice.
   */
  const switchTo = (definition: TransportDefinition, next: Transport): void => {
    const old = openPipe();
    if (!old) return next.close();
    upgradingFrom = client.transport;
    pipe = next;
    client.transport = definition.name;
    plan.restart_(definition.name);
    awaitingWelcome = true;
    old.close();
    armConnectTimeout(definition.name, 'upgrade');
    void sendHello(next);
  };

  // ---- frames to the server ----

  const enqueue = (body: OutboundBody, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry => {
    const entry = outbox.add_(body, maxPayload, resolve, reject);
    const to = openPipe();
    if (to && checkAlive()) {
      entry.sent_ = true;
      to.send(entry.text_);
    }
    return entry;
  };

  const submit = <T>(
    body: OutboundBody,
    timeout = body.t === 'req' ? (options.requestTimeout ?? 10_000) : (options.ackTimeout ?? 0),
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (state === 'closed') return reject(closedError());
      let timer: unknown;
      const stop = (): void => {
        if (timer !== undefined) clock.clearTimeout(timer);
      };
      let entry: OutboxEntry;
      try {
        entry = enqueue(
          body,
          (value) => (stop(), resolve(value as T)),
          (error) => (stop(), reject(error)),
        );
      } catch (error) {
        return reject(error);
      }
      if (timeout > 0) {
        timer = clock.setTimeout(() => {
          const what = entry.sent_ ? 'sent, so it may still be handled (once at most)' : 'never sent';
          outbox.expire_(entry, new PushwireError('timeout', `no ${body.t === 'req' ? 'answer' : 'ack'} within ${timeout} ms; ${what}`));
        }, timeout);
      }
    });

  const unsubscribe = (subscription: Subscription): Promise<void> =>
    !channels.remove_(subscription) || state === 'closed'
      ? Promise.resolve()
      : new Promise((resolve, reject) => enqueue({ t: 'unsub', ch: subscription.channel }, () => resolve(), reject));

  const sendReceipt = (): void => {
    clearTimer('receipt');
    const to = openPipe();
    if (!to || rx === receipted) return;
    receipted = rx;
    to.send(JSON.stringify({ t: 'ack', n: rx }));
  };

  // ---- liveness ----

  const deadline = (): number => lastHeard + heartbeatInterval + (options.heartbeatGrace ?? heartbeatInterval / 2);

  /** Declares the connection dead if the server has been silent past its deadline. Cheap: call it often. */
  const checkAlive = (): boolean => {
    if (state !== 'open' || clock.now() <= deadline()) return true;
    drop(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
    return false;
  };

  /** One timer at the deadline; traffic meanwhile only moves the deadline, the timer re-arms when it fires. */
  const armDeadline = (): void =>
    setTimer('deadline', Math.max(0, deadline() - clock.now()) + 1, () => {
      if (checkAlive()) armDeadline();
    });

  /**
   * Background tabs throttle timers, and a sleeping laptop stops them: whenever the page may have come
   * back (visible, online, restored, focused) check the deadline at once, and retry a reconnect now
   * instead of waiting out the backoff.
   */
  const wake = (): void => {
    if (state === 'open' && checkAlive()) return;
    // Waiting to retry, or the check just found the connection dead: try now.
    if (timers.retry !== undefined && !pageAway()) connectNow();
  };

  /**
   * Ends the session for good: tells the server (so it ends the session now instead of after its TTL)
   * and shuts the client down. On an open WebSocket the `bye` goes on the socket, ahead of its close.
   * Otherwise — an HTTP pipe, whose stream the server may see end before a `bye` POSTed on it arrives,
   * or no pipe at all — it goes in a request of its own that outlives the page: `POST {path}/bye` with
   * `keepalive`, proved by the resume secret (a CORS-simple request: no preflight to wait for).
   */
  const leave = (reason: string): void => {
    if (state === 'closed') return;
    if (openPipe() && client.transport === 'websocket') pipe!.send('{"t":"bye"}');
    else if (secret) {
      const goodbye: GoodbyeFrame = { t: 'bye', sid: client.sessionId!, secret };
      fetch(endpoint + BYE_PATH, { method: 'POST', body: JSON.stringify(goodbye), keepalive: true }).catch(() => {});
    }
    pipe?.close();
    shutdown(CloseCode.Normal, reason);
  };

  /** `pagehide`: a page that unloads for real (not into the back/forward cache) can't resume the session. */
  const unload = (event: Event): void => {
    if (!(event as PageTransitionEvent).persisted) leave('the page was unloaded');
  };

  client.transport = plan.current_().name;
  listenToPage(true, wake, unload);
  // The first attempt starts once the caller has had a chance to add listeners, so no event of it
  // (a fallback, say) goes unheard.
  queueMicrotask(() => state === 'connecting' && pipe === null && connectNow());

  return {
    subscribe_<T>(channel: string, handlers: SubscriptionHandlers<T>, subscribeOptions: SubscribeOptions) {
      const invalid = channelError(channel);
      if (invalid) throw invalid;
      if (state === 'closed') throw closedError();
      const subscription = new Subscription<T>(channel, handlers, (s) => unsubscribe(s as Subscription));
      channels.add_(subscription as Subscription, subscribeOptions);
      return subscription;
    },
    join_(channel, meta) {
      joined.set(channel, meta);
      return submit({ t: 'join', ch: channel, meta });
    },
    leave_: (channel) => (joined.delete(channel) ? submit({ t: 'leave', ch: channel }) : Promise.resolve()),
    submit_: submit,
    ping_: () =>
      new Promise((resolve, reject) => {
        const to = state === 'open' ? pipe : null;
        if (!to) return reject(closedError('not connected'));
        const id = ++pingId;
        const start = clock.now();
        pings.set(id, { resolve: () => resolve(clock.now() - start), reject });
        to.send(JSON.stringify({ t: 'ping', id }));
      }),
    close_: () => leave('closed by the application'),
  };
}
