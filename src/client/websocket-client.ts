// pushwire/websocket: a client that speaks WebSocket only. Its bundle leaves out what only several
// transports need: SSE, long-polling, the fallback across transports, the transport memory and the
// upgrade probe (the session's optional parts, see session.ts). Same API and events as `pushwire`.
import type { ClientOptions } from './client-types.js';
import { PushwireClientBase } from './client.js';
import { websocket } from './transports/websocket.js';

/** The options of `pushwire`'s connect() that mean something with one transport. */
export type WebSocketClientOptions = Omit<ClientOptions, 'transports' | 'transportMemory' | 'upgrade'>;

/**
 * Opens a Pushwire session to `url` over WebSocket only (the server's base path, e.g.
 * `https://example.com/pushwire`; relative URLs resolve against the page). The client connects,
 * reconnects and resumes on its own; when WebSocket can't get through, it keeps retrying with backoff.
 */
export function connect(url: string, options: WebSocketClientOptions = {}): PushwireClientBase {
  return new PushwireClientBase(url, { ...options, transports: [websocket] });
}

export { PushwireClientBase } from './client.js';
export type { ClientEvents, ClientState, CloseInfo, FallbackInfo, OpenInfo, ReconnectInfo, SendOptions } from './client-types.js';
export { PushwireError } from './errors.js';
export { Subscription, type MessageInfo, type SubscribedInfo, type SubscribeOptions, type SubscriptionHandlers } from './subscription.js';
export type { BackoffOptions } from './backoff.js';
export type { Clock } from './clock.js';
export type { QueueLimits } from './outbox.js';
export type { WebSocketConstructor, WebSocketLike } from './transports/transport.js';
export { CloseCode, closeAction, type CloseAction, type ErrorCode } from '../protocol/codes.js';
export type { Position, SubscribeStatus } from '../protocol/frames.js';
