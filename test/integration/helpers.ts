import { WebSocket } from 'ws';
import { connect, type ClientOptions, type PushwireClient } from '../../src/client/index.js';
import { createServer, type PushwireServer, type ServerOptions } from '../../src/server/index.js';
import { silentLogger } from '../../src/server/logger.js';
import { waitFor } from '../support/wait.js';


/** A real server on an ephemeral port of 127.0.0.1. */
export async function startServer(options: ServerOptions = {}): Promise<{ server: PushwireServer; port: number; url: string }> {
  const server = createServer({ logger: silentLogger, ...options });
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

/** Polls `check` until it is true; fails after `timeout` ms (waitFor, with this suite's argument order). */
export function until(check: () => boolean, timeout = 5_000, what = 'condition'): Promise<void> {
  return waitFor(check, what, timeout);
}
