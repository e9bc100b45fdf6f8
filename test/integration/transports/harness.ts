import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { type ClientOptions, PushwireClient, type TransportDefinition, type WebSocketConstructor } from '../../../src/client/index.js';
import { longPolling } from '../../../src/client/transports/long-polling.js';
import { sse } from '../../../src/client/transports/sse.js';
import { websocket } from '../../../src/client/transports/websocket.js';
import { createServer, type PushwireServer, type ServerOptions } from '../../../src/server/index.js';
import { silentLogger } from '../../../src/server/logger.js';
import type { TransportName } from '../../../src/protocol/frames.js';

export const TRANSPORTS: Record<TransportName, TransportDefinition> = { websocket, sse, 'long-polling': longPolling };

/** A real Pushwire server on a real HTTP server on 127.0.0.1, with a way to cut every TCP connection. */
export interface TestServer {
  pushwire: PushwireServer;
  http: Server;
  port: number;
  url: string;
  /** Destroys every open TCP connection to the server (the server-side sockets), as a network fault would. */
  killConnections(): number;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const pushwire = createServer({ logger: silentLogger, ...options });
  const http = createHttpServer();
  const sockets = new Set<Socket>();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  pushwire.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    pushwire,
    http,
    port,
    url: `http://127.0.0.1:${port}/pushwire`,
    killConnections() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      return count;
    },
    async close() {
      await pushwire.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A client in Node (WebSocket from the `ws` package), with no storage for transport memory unless given. */
export function connectClient(url: string, options: ClientOptions = {}): PushwireClient {
  return new PushwireClient(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    transportMemory: { storage: null },
    reconnect: { min: 20, max: 200 },
    ...options,
  });
}

/** Resolves when `check` is true, polling every few ms; rejects after `timeout` ms with `what`. */
export async function waitFor(check: () => boolean, what: string, timeout = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function once<T>(client: PushwireClient, event: 'open'): Promise<T> {
  return new Promise((resolve) => {
    const off = client.on(event, (info) => {
      off();
      resolve(info as T);
    });
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
