import WebSocket from 'ws';
import { connect, type TransportName, type WebSocketConstructor } from '../../src/client/index.js';
import { BENCH_CHANNEL, type BenchMessage } from '../message.js';
import { type ClientFactory, deferred } from './client.js';
import { pushwireTransport } from './pushwire-transports.js';
import { useHttpFetch } from './http-fetch.js';
import { nextSourceAddress } from './source-address.js';

/** `ws` bound to a source address, one class per address. */
const bound = new Map<string, WebSocketConstructor>();
function boundWebSocket(address: string | undefined): WebSocketConstructor {
  if (address === undefined) return WebSocket as unknown as WebSocketConstructor;
  let constructor = bound.get(address);
  if (!constructor) {
    class BoundWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { localAddress: address });
      }
    }
    constructor = BoundWebSocket as unknown as WebSocketConstructor;
    bound.set(address, constructor);
  }
  return constructor;
}

/**
 * The real Pushwire client, subscribed to the bench channel: forced onto one transport, or with `'all'`
 * as an application gets it from `connect` (WebSocket, then SSE, then long-polling).
 */
export function pushwireClient(name: TransportName | 'all'): ClientFactory {
  const transport = name === 'all' ? undefined : pushwireTransport(name);
  if (name !== 'all' && !transport) throw new Error(`the Pushwire client has no ${name} transport yet`);
  if (name !== 'websocket') useHttpFetch();
  return (url, handlers) => {
    const opened = deferred();
    const ready = deferred();
    const client = connect(`${url}/pushwire`, {
      ...(transport ? { transports: [transport] } : {}),
      WebSocket: boundWebSocket(nextSourceAddress()),
    });
    client.on('open', ({ resumed }) => {
      opened.resolve();
      handlers.open(resumed);
    });
    client.on('reconnecting', ({ delay }) => handlers.reconnecting?.(delay));
    client.on('close', ({ reason }) => {
      opened.reject(new Error(reason));
      ready.reject(new Error(reason));
    });
    client.subscribe<BenchMessage>(BENCH_CHANNEL, {
      onMessage: (data) => handlers.message(data),
      onSubscribed: () => ready.resolve(),
    });
    return { opened: opened.promise, ready: ready.promise, transport: () => client.transport, close: () => client.close() };
  };
}
