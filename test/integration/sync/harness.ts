import net from 'node:net';
import { type ClientOptions, type PushwireClient, type TransportDefinition } from '../../../src/client/index.js';
import type { PushwireServer, ServerOptions } from '../../../src/server/index.js';
import { connectClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAfterTest } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';

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
    clientOptions: () => ({ transports: [transport], transportMemory: false, upgrade: false }),
  };
}

export const transportCases: TransportCase[] = [only(TRANSPORTS.websocket), only(TRANSPORTS.sse), only(TRANSPORTS['long-polling'])];

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
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new NetworkProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, targetPort));
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

/** A server with a cuttable network in front of it; everything it starts is closed by `closeAll()`. */
export interface Harness {
  server: PushwireServer;
  proxy: NetworkProxy;
  /** A client on `transport`, through the proxy unless `via` is 'direct'. */
  client(options?: Partial<ClientOptions>, via?: 'proxy' | 'direct'): PushwireClient;
}

export async function startHarness(transport: TransportCase, options: ServerOptions = {}): Promise<Harness> {
  const server = await startTestServer({
    logger: { debug() {}, info() {}, warn() {}, error: (message, fields) => console.error(message, fields) },
    ...options,
  });
  const proxy = closeAfterTest(await NetworkProxy.start(server.port));
  return {
    server: server.pushwire,
    proxy,
    client(extra = {}, via = 'proxy') {
      const url = `http://127.0.0.1:${via === 'proxy' ? proxy.port : server.port}/pushwire`;
      return connectClient(url, { reconnect: { min: 10, max: 40 }, ...transport.clientOptions(), ...extra });
    },
  };
}
