import WebSocket from 'ws';
import { connect, type ClientOptions, type PushwireClient } from '../../src/client/index.js';
import type { WebSocketConstructor } from '../../src/client/transports/transport.js';
import { waitFor } from './wait.js';

const clients: PushwireClient[] = [];

/** A client in Node (over the `ws` package) with fast reconnects; closed by `closeClients()`. */
export function connectClient(url: string, options: ClientOptions = {}): PushwireClient {
  const client = connect(url, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnect: { min: 20, max: 200 },
    ...options,
  });
  clients.push(client);
  return client;
}

export async function openClient(url: string, options: ClientOptions = {}): Promise<PushwireClient> {
  const client = connectClient(url, options);
  await waitFor(() => client.state === 'open', 'client open');
  return client;
}

export function closeClients(): void {
  for (const client of clients.splice(0)) client.close();
}
