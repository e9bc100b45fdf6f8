import WebSocket from 'ws';
import {
  connect,
  type ClientOptions,
  longPolling,
  type PushwireClient,
  sse,
  type TransportDefinition,
  websocket,
  type WebSocketConstructor,
} from '../../src/client/index.js';
import type { TransportName } from '../../src/protocol/frames.js';
import { closeAfterTest } from './close-after-test.js';
import { waitFor } from './wait.js';

/** The client's transports by name, for tests that force one or run once per transport. */
export const TRANSPORTS: Record<TransportName, TransportDefinition> = { websocket, sse, 'long-polling': longPolling };

/**
 * A client in Node (over the `ws` package) with fast reconnects; closed by `closeAll()`. WebSocket only
 * unless `options.transports` says otherwise, so tests that cut the WebSocket see no fallback. No storage
 * for its transport memory unless given: no test starts on a transport another one remembered.
 */
export function connectClient(url: string, options: ClientOptions = {}): PushwireClient {
  const client = connect(url, {
    transports: [websocket],
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    transportMemory: { storage: null },
    reconnect: { min: 20, max: 200 },
    ...options,
  });
  return closeAfterTest(client);
}

/** `connectClient`, once the client is open. */
export async function openClient(url: string, options: ClientOptions = {}): Promise<PushwireClient> {
  const client = connectClient(url, options);
  await waitForOpen(client);
  return client;
}

/** Resolves once `client` is open (at once if it already is). */
export function waitForOpen(client: PushwireClient): Promise<void> {
  return waitFor(() => client.state === 'open', 'client open');
}
