import type { BenchMessage } from '../message.js';

export interface ClientHandlers {
  message(message: BenchMessage): void;
  /** A (re)connection completed; `resumed` says whether the session continued (Pushwire only). */
  open(resumed: boolean): void;
  /** The client lost its connection and will try again after `delay` ms (Pushwire only). */
  reconnecting?(delay: number): void;
}

/** One client of the load generator. */
export interface BenchClient {
  /** The handshake completed. */
  readonly opened: Promise<void>;
  /** The client receives broadcasts (for Pushwire: its subscription is confirmed). */
  readonly ready: Promise<void>;
  /** The transport in use, where the client library says (Pushwire). */
  transport?(): string | null;
  close(): void;
}

/** `pushwire-any`: the Pushwire client with every transport, as `connect` gives it (for the fallback scenario). */
export type ClientKind =
  | 'pushwire-websocket'
  | 'pushwire-sse'
  | 'pushwire-long-polling'
  | 'pushwire-any'
  | 'socketio-websocket'
  | 'socketio-polling'
  | 'ws'
  | 'sse';

export type ClientFactory = (url: string, handlers: ClientHandlers) => BenchClient;

export async function clientFactory(kind: ClientKind): Promise<ClientFactory> {
  switch (kind) {
    case 'pushwire-websocket':
      return (await import('./pushwire.js')).pushwireClient('websocket');
    case 'pushwire-sse':
      return (await import('./pushwire.js')).pushwireClient('sse');
    case 'pushwire-long-polling':
      return (await import('./pushwire.js')).pushwireClient('long-polling');
    case 'pushwire-any':
      return (await import('./pushwire.js')).pushwireClient('all');
    case 'socketio-websocket':
      return (await import('./socketio.js')).socketIoClient('websocket');
    case 'socketio-polling':
      return (await import('./socketio.js')).socketIoClient('polling');
    case 'ws':
      return (await import('./ws.js')).wsClient;
    case 'sse':
      return (await import('./sse.js')).sseClient;
  }
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
