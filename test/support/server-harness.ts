import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type PushwireServer, type ServerOptions } from '../../src/server/index.js';
import { silentLogger } from '../../src/server/logger.js';
import { closeAfterTest } from './close-after-test.js';

/** A real Pushwire server on an ephemeral 127.0.0.1 port, with a handle on its TCP sockets so tests can cut them. */
export interface TestServer {
  pushwire: PushwireServer;
  http: Server;
  port: number;
  /** Base URL of the Pushwire endpoints, e.g. http://127.0.0.1:PORT/pushwire */
  url: string;
  /** Destroys every open TCP connection on the server side (sessions survive, as after a network cut). */
  killConnections(): number;
  /** Closes Pushwire, then the sockets and the HTTP server. A second call waits for the first. */
  close(options?: Parameters<PushwireServer['close']>[0]): Promise<void>;
}

/** A silent Pushwire server attached to a fresh HTTP server; closed by `closeAll()`. */
export function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const http = createHttpServer();
  const pushwire = createServer({ logger: silentLogger, ...options }).attach(http);
  return startTestServerWith(http, pushwire);
}

/**
 * For a test that wires the HTTP server and Pushwire together itself (a page served beside it, a
 * wrapper around `handleRequest`): listens on an ephemeral 127.0.0.1 port; closed by `closeAll()`.
 */
export async function startTestServerWith(http: Server, pushwire: PushwireServer): Promise<TestServer> {
  const sockets = new Set<Socket>();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const server: TestServer = {
    pushwire,
    http,
    port,
    url: `http://127.0.0.1:${port}${pushwire.path}`,
    killConnections() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      return count;
    },
    close(options) {
      closed ??= (async () => {
        await pushwire.close(options);
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closed;
    },
  };
  return closeAfterTest(server);
}
