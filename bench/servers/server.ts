import type { Server } from 'node:http';
import type { BenchMessage } from '../message.js';

/** One server under test, on an HTTP server the bench process owns (so it can count and cut sockets). */
export interface BenchServer {
  /** Path the clients connect to. */
  readonly path: string;
  /** Sends one message to every connected client. */
  broadcast(message: BenchMessage): void;
  /** Clients connected and ready to receive. */
  connections(): number;
  /** Frames received from clients so far, where the server counts them (Pushwire: receipts, pongs…). */
  framesIn?(): number;
  close(): Promise<void>;
}

export type ServerKind = 'pushwire' | 'socketio-websocket' | 'socketio-polling' | 'ws' | 'sse';

export async function createBenchServer(kind: ServerKind, http: Server): Promise<BenchServer> {
  switch (kind) {
    case 'pushwire':
      return (await import('./pushwire.js')).pushwireServer(http);
    case 'socketio-websocket':
      return (await import('./socketio.js')).socketIoServer(http, 'websocket');
    case 'socketio-polling':
      return (await import('./socketio.js')).socketIoServer(http, 'polling');
    case 'ws':
      return (await import('./ws.js')).wsServer(http);
    case 'sse':
      return (await import('./sse.js')).sseServer(http);
  }
}
