import type { ClientOptions } from './client-types.js';
import { PushwireClient } from './pushwire-client.js';
import { longPolling } from './transports/long-polling.js';
import { sse } from './transports/sse.js';
import { websocket } from './transports/websocket.js';

/**
 * Opens a Pushwire session to `url` (the server's base path, e.g. `https://example.com/pushwire`;
 * relative URLs resolve against the page). The client connects, reconnects and resumes on its own.
 */
export function connect(url: string, options: ClientOptions = {}): PushwireClient {
  return new PushwireClient(url, { transports: [websocket, sse, longPolling], ...options });
}

export { PushwireClient } from './pushwire-client.js';
export { PushwireClientBase } from './client.js';
export {
  type ClientEvents,
  type ClientOptions,
  type ClientState,
  type CloseInfo,
  type FallbackInfo,
  type OpenInfo,
  type ProbeInfo,
  type ReconnectInfo,
  type SendOptions,
  type UpgradeInfo,
  type UpgradeOptions,
} from './client.js';
export { PushwireError } from './errors.js';
export { Subscription, type MessageInfo, type SubscribedInfo, type SubscribeOptions, type SubscriptionHandlers } from './subscription.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { Clock } from './clock.js';
export type { QueueLimits } from './outbox.js';
export { websocket } from './transports/websocket.js';
export { sse } from './transports/sse.js';
export { longPolling } from './transports/long-polling.js';
export type { StorageLike, TransportMemoryOptions } from './transport-memory.js';
export type {
  Transport,
  TransportContext,
  TransportDefinition,
  TransportHandlers,
  WebSocketConstructor,
  WebSocketLike,
} from './transports/transport.js';
export { CloseCode, closeAction, type CloseAction, type ErrorCode } from '../protocol/codes.js';
export type { Position, SubscribeStatus, TransportName } from '../protocol/frames.js';
export { PROTOCOL_VERSION } from '../protocol/version.js';
// Synced state and presence are an add-on: `pushwire/sync` (src/sync/index.ts).
