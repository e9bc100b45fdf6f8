import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type PushwireServer, type ServerOptions } from '../../src/server/index.js';
import { silentLogger } from '../../src/server/logger.js';

/** A real Pushwire server on an ephemeral 127.0.0.1 port, with a handle on its TCP sockets so tests can cut them. */
export interface TestServer {
  pushwire: PushwireServer;
  http: Server;
  port: number;
  /** Base URL of the Pushwire endpoints, e.g. http://127.0.0.1:PORT/pushwire */
  url: string;
  /** Destroys every open TCP connection on the server side (sessions survive, as after a network cut). */
  killConnections(): number;
  close(options?: Parameters<PushwireServer['close']>[0]): Promise<void>;
}

export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const http = createHttpServer();
  const sockets = new Set<Socket>();
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const pushwire = createServer({ logger: silentLogger, ...options }).attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    pushwire,
    http,
    port,
    url: `http://127.0.0.1:${port}${options.path ?? '/pushwire'}`,
    killConnections() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      return count;
    },
    async close(options) {
      await pushwire.close(options);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
