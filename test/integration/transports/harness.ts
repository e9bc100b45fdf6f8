import WebSocket from 'ws';
import { type ClientOptions, PushwireClient, type TransportDefinition, type WebSocketConstructor } from '../../../src/client/index.js';
import { longPolling } from '../../../src/client/transports/long-polling.js';
import { sse } from '../../../src/client/transports/sse.js';
import { websocket } from '../../../src/client/transports/websocket.js';
import type { TransportName } from '../../../src/protocol/frames.js';

export const TRANSPORTS: Record<TransportName, TransportDefinition> = { websocket, sse, 'long-polling': longPolling };

export { startTestServer as startServer, type TestServer } from '../../support/server-harness.js';
export { waitFor } from '../../support/wait.js';

/** A client in Node (WebSocket from the `ws` package), with no storage for transport memory unless given. */
export function connectClient(url: string, options: ClientOptions = {}): PushwireClient {
  return new PushwireClient(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    transportMemory: { storage: null },
    reconnect: { min: 20, max: 200 },
    ...options,
  });
}

/** A WebSocket class that a test can cut off: while `blocked`, it asks for a path the server refuses. */
export function gatedWebSocket(): { WebSocket: WebSocketConstructor; gate: { blocked: boolean } } {
  const gate = { blocked: true };
  class Gated extends WebSocket {
    constructor(url: string) {
      super(gate.blocked ? url.replace(/\/ws$/, '/blocked-ws') : url);
    }
  }
  return { WebSocket: Gated as unknown as WebSocketConstructor, gate };
}
