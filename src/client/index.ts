import { type ClientOptions, PushwireClient } from './client.js';
import { websocket } from './transports/websocket.js';

/**
 * Opens a Pushwire session to `url` (the server's base path, e.g. `https://example.com/pushwire`;
 * relative URLs resolve against the page). The client connects, reconnects and resumes on its own.
 */
export function connect(url: string, options: ClientOptions = {}): PushwireClient {
  return new PushwireClient(url, { transports: [websocket], ...options });
}

export { PushwireClient, type ClientEvents, type ClientOptions, type ClientState, type CloseInfo, type OpenInfo, type ReconnectInfo, type SendOptions } from './client.js';
export { PushwireError } from './errors.js';
export { Subscription, type MessageInfo, type SubscribedInfo, type SubscribeOptions, type SubscriptionHandlers } from './subscription.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { Clock } from './clock.js';
export type { QueueLimits } from './outbox.js';
export { websocket } from './transports/websocket.js';
export type { Transport, TransportContext, TransportDefinition, TransportHandlers, WebSocketConstructor, WebSocketLike } from './transports/transport.js';
export { CloseCode, closeAction, type CloseAction, type ErrorCode } from '../protocol/codes.js';
export type { Position, SubscribeStatus, TransportName } from '../protocol/frames.js';
export { PROTOCOL_VERSION } from '../protocol/version.js';
