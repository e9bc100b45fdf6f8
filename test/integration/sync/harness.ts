import net from 'node:net';
import WebSocket from 'ws';
import {
  connect,
  type ClientOptions,
  longPolling,
  type PushwireClient,
  sse,
  type TransportDefinition,
  websocket,
  type WebSocketConstructor,
} from '../../../src/client/index.js';
import { createServer, type PushwireServer, type ServerOptions } from '../../../src/server/index.js';

/**
 * How a test reaches the server: the client options of one transport. Synced state and presence are
 * transport-independent, so every test here runs once per transport.
 */
export interface TransportCase {
  name: string;
  clientOptions(): Partial<ClientOptions>;
}

/** One transport only, no remembered transport and no upgrade probe, so the whole test runs on it. */
function only(transport: TransportDefinition): TransportCase {
  return {
    name: transport.name,
    clientOptions: () => ({ transports: [transport], WebSocket: WebSocket as unknown as WebSocketConstructor, transportMemory: false, upgrade: false }),
  };
}

export const transportCases: TransportCase[] = [only(websocket), only(sse), only(longPolling)];

/**
 * A TCP proxy in front of the server that can cut the network: `cut()` destroys every connection
 * through it and refuses new ones until `restore()`. Works the same for every transport.
 */
export class NetworkProxy {
  private readonly sockets = new Set<net.Socket>();
  private up = true;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<NetworkProxy> {
    let proxy: NetworkProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new NetworkProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, targetPort: number): void {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => {});
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}

export interface Harness {
  server: PushwireServer;
  proxy: NetworkProxy;
  /** Clients made with `client()`; closed by `close()`. */
  clients: PushwireClient[];
  client(options?: Partial<ClientOptions>, via?: 'proxy' | 'direct'): PushwireClient;
  close(): Promise<void>;
}

export async function startHarness(transport: TransportCase, options: ServerOptions = {}): Promise<Harness> {
  const server = createServer({ logger: { debug() {}, info() {}, warn() {}, error: (message, fields) => console.error(message, fields) }, ...options });
  const { port } = await server.listen(0, '127.0.0.1');
  const proxy = await NetworkProxy.start(port);
  const clients: PushwireClient[] = [];
  return {
    server,
    proxy,
    clients,
    client(extra = {}, via = 'proxy') {
      const url = `http://127.0.0.1:${via === 'proxy' ? proxy.port : port}/pushwire`;
      const client = connect(url, { reconnect: { min: 10, max: 40 }, ...transport.clientOptions(), ...extra });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await proxy.close();
      await server.close();
    },
  };
}

export { delay as sleep, waitFor as until } from '../../support/wait.js';
