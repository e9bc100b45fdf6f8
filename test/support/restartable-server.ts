import { createServer as createHttpServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createServer, MemoryBroker, type PushwireServer, type ServerOptions } from '../../src/server/index.js';
import { silentLogger } from '../../src/server/logger.js';
import { closeAfterTest } from './close-after-test.js';
import { freePort } from './free-port.js';

/**
 * A Pushwire server on a fixed 127.0.0.1 port that a test can stop and start again, as a deploy or
 * crash would: sessions are lost; channel history survives only if the broker is kept. Closed by
 * `closeAll()`.
 */
export class RestartableServer {
  pushwire: PushwireServer | undefined;
  private http: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly options: ServerOptions,
    public broker: MemoryBroker,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/pushwire`;
  }

  static async start(options: ServerOptions = {}): Promise<RestartableServer> {
    const server = new RestartableServer(await freePort(), options, new MemoryBroker());
    await server.startAgain();
    return closeAfterTest(server);
  }

  /** Stops and starts again. `keepHistory: false` also replaces the broker, so every channel's epoch changes. */
  async restart({ keepHistory }: { keepHistory: boolean }): Promise<void> {
    await this.stop();
    if (!keepHistory) {
      await this.broker.close();
      this.broker = new MemoryBroker();
    }
    await this.startAgain();
  }

  /** Destroys every open TCP connection (sessions survive, as after a network cut). */
  killConnections(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return count;
  }

  async stop(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    await this.pushwire?.close({ reconnectSpread: 100, grace: 100 }); // a quick restart, not a fleet to spread out
    this.pushwire = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.stop();
    await this.broker.close();
  }

  private async startAgain(): Promise<void> {
    const http = createHttpServer();
    http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.pushwire = createServer({ logger: silentLogger, broker: this.broker, ...this.options }).attach(http);
    await new Promise<void>((resolve) => http.listen(this.port, '127.0.0.1', resolve));
    this.http = http;
  }
}
