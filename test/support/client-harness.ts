import WebSocket from 'ws';
import { connect, type ClientOptions, type PushwireClient, websocket } from '../../src/client/index.js';
import { waitFor } from './wait.js';

const clients: PushwireClient[] = [];

/**
 * A client in Node (over the `ws` package) with fast reconnects; closed by `closeClients()`. WebSocket
 * only unless `options.transports` says otherwise, so tests that cut the WebSocket see no fallback.
 */
export function connectClient(url: string, options: ClientOptions = {}): PushwireClient {
  const client = connect(url, {
    transports: [websocket],
    WebSocket,
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
