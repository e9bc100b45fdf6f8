import { CloseCode, closeAction, type ErrorCode } from '../protocol/codes.js';
import { type GoodbyeFrame, type ServerFrame, type TransportName } from '../protocol/frames.js';
import { BYE_PATH } from '../protocol/http.js';
import { backoffDelay } from './backoff.js';
import { channelBook } from './channel-book.js';
import type { ClientEvents, ClientOptions, ClientState } from './client-types.js';
import { systemClock } from './clock.js';
import { handled, PushwireError } from './errors.js';
import { handshake } from './handshake.js';
import { liveness } from './liveness.js';
import { transportPlan } from './negotiation.js';
import { type OutboundBody, type OutboxEntry, createOutbox } from './outbox.js';
import { listenToPage, pageAway } from './page-events.js';
import { type SubscribeOptions, Subscription, type SubscriptionHandlers } from './subscription.js';
import { namedTimers } from './timers.js';
import type { TransportMemory, TransportMemoryOptions } from './transport-memory.js';
import type { ReceiptPacing, Transport, TransportDefinition, TransportHandlers } from './transports/transport.js';
import type { ProbeHost, UpgradeProbe } from './upgrade-probe.js';

/**
 * Refused credentials (close 4200–4299) are tried again with a fresh result of the `auth` function this
 * many times in a row, with the reconnect backoff; one more refusal and the client stops with an error.
 */
const MAX_REAUTH_RETRIES = 3;

/**
 * Receipts (acks of server frames) go out after this many frames, with every `pong`, and this long after
 * the first unreceipted frame the session holds alone (a channel message starts no timer: see Liveness).
 */
const DEFAULT_RECEIPTS: ReceiptPacing = { every: 128, delay: 1000 };

export const closedError = (message = 'the client is closed'): PushwireError => new PushwireError('closed', message);

export type Emit = <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void;

/**
 * The session parts a bundle may leave out. PushwireClient has both; a client without them tries its
 * transports in order every time and stays on whichever works (all a single-transport client needs).
 */
export interface OptionalParts {
  /** Remembers a fallback that worked, across page loads (transport-memory.ts). */
  memory_?: (url: string, options: TransportMemoryOptions, now: () => number) => TransportMemory;
  /** Moves the session back onto the preferred transport once it works again (upgrade-probe.ts). */
  probe_?: (host: ProbeHost) => UpgradeProbe;
}

/** What the application may read of the session (through PushwireClient's getters); only the session changes it. */
export interface SessionStatus {
  state_: ClientState;
  /** The transport in use (or being tried); null once closed. */
  transport_: TransportName | null;
  sessionId_: string | null;
}

/** The session machinery behind PushwireClient's public methods. */
export interface Session {
  readonly status_: Readonly<SessionStatus>;
  subscribe_<T>(channel: string, handlers: SubscriptionHandlers<T>, options: SubscribeOptions): Subscription<T>;
  join_(channel: string, meta: unknown): Promise<void>;
  leave_(channel: string): Promise<void>;
  /** Queues a frame; the promise settles with its ack or answer, its error, or the timeout (default: the option's). */
  submit_<T>(body: OutboundBody, timeout?: number): Promise<T>;
  ping_(): Promise<number>;
  close_(): void;
}

/** The timers of a session, by name (one each at most). */
type TimerName = 'connect' | 'retry' | 'deadline' | 'receipt' | 'probe';

/**
 * One logical session kept alive across connections: the state machine (connecting → open →
 * reconnecting → closed), connection attempts and fallback, and the dispatch of server frames to the
 * parts that handle them: the handshake (hello, credentials, time bounds), liveness (heartbeat
 * deadline, receipts), the outbox (frames to the server until acknowledged), the channel book
 * (subscriptions, positions, presence joins), and the optional upgrade probe. It keeps the status the
 * client shows and emits the client's events through `emit`.
 */
export function createSession(url: string, options: ClientOptions, emit: Emit, parts: OptionalParts): Session {
  const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  // Endpoints hang under the path; a query string would be lost, and credentials don't belong in URLs.
  if (base.search) throw new TypeError('pushwire: no query string in the URL (credentials go in the auth option)');
  const endpoint = `${base.protocol.replace(/^ws/, 'http')}//${base.host}${base.pathname.replace(/\/+$/, '')}`;
  const transports = options.transports ?? [];
  const welcomeTimeout = options.welcomeTimeout ?? 5000;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const memoryOption = options.transportMemory;
  const memory = memoryOption === false || !parts.memory_ ? null : parts.memory_(endpoint, memoryOption ?? {}, () => clock.now());
  const plan = transportPlan(transports, memory);
  const timers = namedTimers<TimerName>(clock);
  const outbox = createOutbox(options.queue?.maxFrames ?? 1000, options.queue?.maxBytes ?? 1 << 20);
  const channels = channelBook((body) => enqueue(body));
  const attempt = handshake(options, welcomeTimeout, clock, timers, (reason) => drop(1006, reason));
  const alive = liveness(clock, random, timers, options.heartbeatGrace, sendNow, () =>
    drop(CloseCode.HeartbeatTimeout, 'heartbeat timeout'),
  );
  const pings = new Map<number, { resolve: () => void; reject: (error: PushwireError) => void }>();

  const status: SessionStatus = { state_: 'connecting', transport_: plan.current_().name, sessionId_: null };
  /** The pipe of the current attempt or connection; null between attempts and once closed. */
  let pipe: Transport | null = null;
  /** The current pipe has not delivered the welcome yet: nothing but the hello goes out on it. */
  let awaitingWelcome = false;
  /** Set while the session moves onto a probed transport: the transport it leaves. */
  let upgradingFrom: TransportName | null = null;
  /** The session's resume secret; empty while there is none to resume (before the first welcome, after 4201). */
  let secret = '';
  /** Largest frame the server accepts (its welcome says; until then the option). */
  let maxPayload = options.maxPayload ?? 65_536;
  /** Reconnect attempts since the last welcome (the backoff grows with it). */
  let retries = 0;
  /** A session was open once: a lost connection is `reconnecting`, not `connecting`. */
  let everOpen = false;
  /** Refusals of our credentials (4200–4299) since the last welcome. */
  let refusals = 0;
  let pingId = 0;

  const probe =
    parts.probe_?.({
      preferred_: transports[0]!,
      upgrade_: options.upgrade,
      timeout_: welcomeTimeout,
      random_: random,
      timers_: timers,
      transport_: () => status.transport_,
      open_: () => openPipe() !== null,
      create_: (definition, handlers) => definition.create({ url: endpoint, handlers, WebSocket: options.WebSocket }),
      handlers_: handlersFor,
      isCurrent_: (candidate) => candidate === pipe,
      switchTo_: switchTo,
      probeFailed_: (info) => emit('probe', info),
    }) ?? null;

  /** The pipe if the session is open on it (welcomed): frames may go out. */
  function openPipe(): Transport | null {
    return status.state_ === 'open' && !awaitingWelcome ? pipe : null;
  }

  /** Sends `text` on the open pipe; false if there is none. */
  function sendNow(text: string): boolean {
    const to = openPipe();
    to?.send(text);
    return to !== null;
  }

  /** Moves to `next`; false if a 'state' listener moved the session on (closed it) meanwhile: stop what was going on. */
  function setState(next: ClientState): boolean {
    if (status.state_ === next) return true;
    status.state_ = next;
    emit('state', next);
    return status.state_ === next;
  }

  // ---- connection lifecycle ----

  function connectNow(): void {
    timers.clear_('retry');
    const definition = plan.current_();
    let current: Transport | null = null;
    const handlers = handlersFor(() => current);
    status.transport_ = definition.name;
    awaitingWelcome = true;
    upgradingFrom = null;
    attempt.begin_(definition, 'connect');
    try {
      current = definition.create({ url: endpoint, handlers, WebSocket: options.WebSocket });
      pipe = current;
    } catch (error) {
      lost(1006, `${definition.name} unavailable: ${(error as Error).message}`);
    }
  }

  /** The session's handlers for one pipe; events of a pipe that is no longer current are ignored. */
  function handlersFor(pipeOf: () => Transport | null): TransportHandlers {
    const isCurrent = (): boolean => pipeOf() !== null && pipeOf() === pipe;
    return {
      open() {
        if (isCurrent()) void sendHello(pipeOf()!);
      },
      frame(text) {
        if (isCurrent()) onFrame(text);
      },
      close(code, reason) {
        if (isCurrent()) lost(code, reason);
      },
    };
  }

  async function sendHello(to: Transport): Promise<void> {
    let auth: unknown;
    try {
      auth = await attempt.credentials_();
    } catch (error) {
      if (pipe !== to) return;
      awaitingWelcome = false; // the application's failure, not the transport's: no fallback
      drop(1006, `auth callback failed: ${(error as Error).message}`);
      return;
    }
    if (pipe !== to) return;
    const resume = status.sessionId_ && secret ? { sid: status.sessionId_, secret, rx: alive.rx_ } : null;
    // Subscriptions may follow the first session's hello (see Handshake.hello_), unless presence joins must go first.
    const pipelinable = status.sessionId_ === null && channels.joins_().length === 0 ? outbox.entries_ : null;
    to.send(attempt.hello_(status.transport_!, auth, resume, pipelinable, maxPayload));
  }

  /** Ends the current pipe from this side, then handles it like any lost connection. */
  function drop(code: number, reason: string, retry?: number): void {
    pipe?.close();
    lost(code, reason, retry);
  }

  /** The pipe ended. `retry`: the server asked to reconnect after a random delay below it (a shutdown spread). */
  function lost(code: number, reason: string, retry?: number): void {
    pipe = null;
    const failedAttempt = awaitingWelcome;
    awaitingWelcome = false;
    upgradingFrom = null;
    timers.clearAll_('retry');
    probe?.stop_();
    rejectPings(reason);
    if (status.state_ === 'closed') return;
    // The session belongs to another user than the credentials now name (a switch of accounts): the
    // next hello starts a new session (no secret: see sendHello), which reports the old one as lost.
    if (code === CloseCode.OtherUser) secret = '';
    const action = closeAction(code);
    if (action === 'reauth') refusals++;
    if (action === 'stop' || (action === 'reauth' && (typeof options.auth !== 'function' || refusals > MAX_REAUTH_RETRIES))) {
      emit('error', closedError(`refused by the server (${code}): ${reason}`));
      shutdown(code, reason);
      return;
    }
    if (!setState(everOpen ? 'reconnecting' : 'connecting')) return; // a listener closed the client
    if (failedAttempt && retry === undefined && action !== 'reauth') {
      // Before the welcome, any failure is the transport's (unless the server asked for a later
      // retry, a shutdown, or refused our credentials: no fault of the transport, which is tried again
      // with fresh ones and not left for another or forgotten): the next transport gets its chance at once.
      const from = status.transport_!;
      const next = plan.advance_();
      emit('fallback', { from, to: next?.name ?? null, code, reason });
      if ((status.state_ as ClientState) === 'closed') return; // a listener closed the client
      if (next) return timers.set_('retry', 0, connectNow);
    }
    plan.restart_(action === 'reauth' ? status.transport_! : undefined);
    const delay = retry === undefined ? backoffDelay(retries, options.reconnect ?? {}, random) : random() * retry;
    retries++;
    timers.set_('retry', delay, connectNow);
    emit('reconnecting', { attempt: retries, delay, code, reason });
  }

  function shutdown(code: number, reason: string): void {
    if (status.state_ === 'closed') return; // an 'error' listener already closed the client
    pipe = null;
    probe?.stop_();
    timers.clearAll_();
    listenToPage(false, wake, unload);
    rejectPings(reason);
    status.transport_ = null;
    setState('closed');
    outbox.rejectAll_(closedError(reason));
    emit('close', { code, reason });
  }

  function rejectPings(reason: string): void {
    for (const { reject } of pings.values()) reject(closedError(`connection lost: ${reason}`));
    pings.clear();
  }

  /**
   * Moves the session onto a probed pipe: resume the session on another pipe. The old pipe is no longer
   * read from this moment, so `rx` (frames received) is fixed at what it delivered; the resume hello
   * carries it and the server, attaching the session to the new pipe (and closing the old with 4102),
   * replays everything after it. Frames to the server wait for the welcome and then go again from the
   * outbox; the server drops those it already handled. Nothing is lost, nothing is delivered twice.
   */
  function switchTo(definition: TransportDefinition, next: Transport): void {
    const old = openPipe();
    if (!old) return next.close();
    upgradingFrom = status.transport_;
    pipe = next;
    status.transport_ = definition.name;
    plan.restart_(definition.name);
    awaitingWelcome = true;
    old.close();
    attempt.begin_(definition, 'upgrade');
    void sendHello(next);
  }

  // ---- frames from the server ----

  function onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return emit('error', new PushwireError('bad_frame', 'a server frame is not JSON'));
    }
    alive.heard_(frame.t, plan.current_().receipts ?? DEFAULT_RECEIPTS);
    switch (frame.t) {
      case 'welcome': {
        attempt.done_();
        awaitingWelcome = false;
        const upgradedFrom = upgradingFrom;
        upgradingFrom = null;
        plan.succeeded_();
        const resumed = frame.resumed && frame.sid === status.sessionId_;
        // Frames up to `sentWithHello` went out behind this pipe's hello: the first session has them already.
        const sentWithHello = status.sessionId_ === null ? attempt.pipelined_ : 0;
        status.sessionId_ = frame.sid;
        secret = frame.secret;
        alive.welcomed_(frame.rx, frame.hb);
        maxPayload = frame.max;
        if (!resumed && sentWithHello === 0) {
          // A new session (the first, or after the old one expired): subscriptions are made again from
          // their positions, so the server replays what it can and resets the rest. Presence first, so
          // the presence lists the subscriptions bring back already include us.
          channels.restart_(outbox, channels.joins_());
        } else if (resumed && frame.resync) {
          // The session went on on another server node: it knows what we sent (its ack follows) but
          // not our channels, so presence and subscriptions are made again from their positions; the
          // outbox goes on.
          for (const join of channels.joins_()) enqueue(join);
          channels.resubscribeAll_();
        }
        retries = 0;
        refusals = 0;
        everOpen = true;
        if (!setState('open')) return;
        alive.watch_();
        // Everything not yet acknowledged goes again: the server drops what it already handled.
        for (const entry of outbox.entries_) {
          if (entry.s <= sentWithHello) continue;
          entry.sent_ = true;
          pipe!.send(entry.text_);
        }
        emit('open', { resumed, moved: resumed && frame.resync === true, transport: status.transport_! });
        if (upgradedFrom) emit('upgrade', { from: upgradedFrom, to: status.transport_! });
        probe?.opened_();
        return;
      }
      case 'm':
        return channels.message_(frame);
      case 'subd':
        return channels.subscribed_(frame);
      case 'err': {
        const error = new PushwireError(frame.code as ErrorCode, frame.msg, frame.appCode, frame.d);
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
        return pipe?.send(alive.pong_());
      case 'pong': {
        const ping = pings.get(frame.id);
        pings.delete(frame.id);
        return ping?.resolve();
      }
      case 'close':
        return drop(frame.code, frame.reason, frame.retry);
    }
  }

  // ---- frames to the server ----

  /** Declares the connection dead if the server has been silent past its deadline. Cheap: call it often. */
  function checkAlive(): boolean {
    return status.state_ !== 'open' || alive.alive_();
  }

  function enqueue(body: OutboundBody, resolve?: (value: unknown) => void, reject?: (error: PushwireError) => void): OutboxEntry {
    const entry = outbox.add_(body, maxPayload, resolve, reject);
    const to = openPipe();
    if (to && checkAlive()) {
      entry.sent_ = true;
      to.send(entry.text_);
    }
    return entry;
  }

  /** Queues `body`; the promise (handled: see errors.ts) settles with its ack or answer, its error, or the timeout. */
  function submit<T>(body: OutboundBody, timeout = defaultTimeout(body)): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      if (status.state_ === 'closed') return reject(closedError());
      let timer: unknown;
      const stopTimer = (): void => {
        if (timer !== undefined) clock.clearTimeout(timer);
      };
      let entry: OutboxEntry;
      try {
        entry = enqueue(
          body,
          (value) => {
            stopTimer();
            resolve(value as T);
          },
          (error) => {
            stopTimer();
            reject(error);
          },
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
    return handled(promise);
  }

  function defaultTimeout(body: OutboundBody): number {
    return body.t === 'req' ? (options.requestTimeout ?? 10_000) : (options.ackTimeout ?? 0);
  }

  function unsubscribe(subscription: Subscription): Promise<void> {
    if (!channels.remove_(subscription) || status.state_ === 'closed') return Promise.resolve();
    return handled(new Promise((resolve, reject) => enqueue({ t: 'unsub', ch: subscription.channel }, () => resolve(), reject)));
  }

  // ---- the page ----

  /**
   * Background tabs throttle timers, and a sleeping laptop stops them: whenever the page may have come
   * back (visible, online, restored, focused) check the deadline at once, and retry a reconnect now
   * instead of waiting out the backoff.
   */
  function wake(): void {
    if (status.state_ === 'open' && checkAlive()) return;
    // Waiting to retry, or the check just found the connection dead: try now.
    if (timers.has_('retry') && !pageAway()) connectNow();
  }

  /**
   * Ends the session for good: tells the server (so it ends the session now instead of after its TTL)
   * and shuts the client down. On an open pipe that delivers a `bye` ahead of its close (a WebSocket:
   * `byeOnPipe`) the `bye` goes on it. Otherwise — an HTTP pipe, whose stream the server may see end
   * before a `bye` POSTed on it arrives, or no pipe at all — it goes in a request of its own that
   * outlives the page: `POST {path}/bye` with `keepalive`, proved by the resume secret (a CORS-simple
   * request: no preflight to wait for).
   */
  function leave(reason: string): void {
    if (status.state_ === 'closed') return;
    if (openPipe() && plan.current_().byeOnPipe) pipe!.send('{"t":"bye"}');
    else if (secret) {
      const goodbye: GoodbyeFrame = { t: 'bye', sid: status.sessionId_!, secret };
      fetch(endpoint + BYE_PATH, { method: 'POST', body: JSON.stringify(goodbye), keepalive: true }).catch(() => {});
    }
    pipe?.close();
    shutdown(CloseCode.Normal, reason);
  }

  /** `pagehide`: a page that unloads for real (not into the back/forward cache) can't resume the session. */
  function unload(event: Event): void {
    if (!(event as PageTransitionEvent).persisted) leave('the page was unloaded');
  }

  listenToPage(true, wake, unload);
  // The first attempt starts once the caller has had a chance to add listeners, so no event of it
  // (a fallback, say) goes unheard.
  queueMicrotask(() => {
    if (status.state_ === 'connecting' && pipe === null) connectNow();
  });

  return {
    status_: status,
    subscribe_<T>(channel: string, handlers: SubscriptionHandlers<T>, subscribeOptions: SubscribeOptions) {
      if (status.state_ === 'closed') throw closedError();
      const subscription = new Subscription<T>(channel, handlers, (s) => unsubscribe(s as Subscription));
      channels.add_(subscription as Subscription, subscribeOptions);
      return subscription;
    },
    join_(channel, meta) {
      channels.join_(channel, meta);
      return submit({ t: 'join', ch: channel, meta });
    },
    leave_: (channel) => (channels.leave_(channel) ? submit({ t: 'leave', ch: channel }) : Promise.resolve()),
    submit_: submit,
    ping_: () =>
      new Promise((resolve, reject) => {
        const to = status.state_ === 'open' ? pipe : null;
        if (!to) return reject(closedError('not connected'));
        const id = ++pingId;
        const start = clock.now();
        pings.set(id, { resolve: () => resolve(clock.now() - start), reject });
        to.send(JSON.stringify({ t: 'ping', id }));
      }),
    close_: () => leave('closed by the application'),
  };
}
