import { WebSocket } from 'ws';
import { connect, type ClientOptions, type PushwireClient } from '../../src/client/index.js';
import { createServer, type PushwireServer, type ServerOptions } from '../../src/server/index.js';

export const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A real server on an ephemeral port of 127.0.0.1. */
export async function startServer(options: ServerOptions = {}): Promise<{ server: PushwireServer; port: number; url: string }> {
  const server = createServer({ logger: quietLogger, ...options });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, url: `http://127.0.0.1:${port}/pushwire` };
}

/** A client in Node (WebSocket from `ws`), reconnecting fast. */
export function connectClient(url: string, options: ClientOptions = {}): PushwireClient {
  return connect(url, { WebSocket: WebSocket as never, reconnect: { min: 10, max: 50 }, ...options });
}

/** Resolves once `client` is open (at once if it already is). */
export function opened(client: PushwireClient): Promise<void> {
  if (client.state === 'open') return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('open', () => {
      off();
      resolve();
    });
  });
}

/** Polls `check` until it is true; fails after `timeout` ms. */
export async function until(check: () => boolean, timeout = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
