import { isValidChannelName } from '../protocol/channel.js';
import type { SnapshotFrame, TransportName } from '../protocol/frames.js';
import type { ClientEvents, ClientOptions, ClientState, SendOptions } from './client-types.js';
import { Emitter } from './emitter.js';
import { handled } from './errors.js';
import { createSession, type OptionalParts, type Session } from './session.js';
import type { MessageInfo, SubscribeOptions, Subscription, SubscriptionHandlers } from './subscription.js';

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

/** Throws the TypeError for a channel name that breaks the naming rule. */
function checkChannel(channel: string): void {
  if (!isValidChannelName(channel)) throw new TypeError(`pushwire: invalid channel name ${JSON.stringify(channel)}`);
}

/**
 * The client's public API over a session (session.ts) made of the core parts and the `parts` given.
 * PushwireClient (full-client.ts) is this with every part, and `connect()` makes one; a bundle that
 * builds a client without the optional parts (e.g. WebSocket only, `pushwire/websocket`) leaves them out.
 */
export class PushwireClientBase extends Emitter<ClientEvents> {
  private readonly session_: Session;

  constructor(url: string, options: ClientOptions = {}, parts: OptionalParts = {}) {
    super();
    this.session_ = createSession(url, options, (event, ...args) => this.emit_(event, ...args), parts);
  }

  /** connecting → open → reconnecting → open … → closed. */
  get state(): ClientState {
    return this.session_.status_.state_;
  }

  /** The transport in use (or being tried); null once closed. */
  get transport(): TransportName | null {
    return this.session_.status_.transport_;
  }

  /** The session's id once the server has welcomed it. */
  get sessionId(): string | null {
    return this.session_.status_.sessionId_;
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
    checkChannel(channel);
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
   * `too_large`, `queue_full`, `forbidden`, `timeout`, `session_lost` or `closed`. Like every promise
   * of the client, one nobody awaits is no unhandled rejection (see `handled`, errors.ts).
   */
  publish(channel: string, data: unknown, options: SendOptions = {}): Promise<void> {
    try {
      checkChannel(channel);
    } catch (error) {
      return handled(Promise.reject(error));
    }
    return this.session_.submit_({ t: 'pub', ch: channel, d: data ?? null }, options.timeout);
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
    return handled(this.session_.ping_());
  }

  /** Ends the session for good: tells the server, stops reconnecting, leaves no timer behind. */
  close(): void {
    this.session_.close_();
  }
}
