import { createServer as createHttpServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServer, type Logger, MemoryBroker, type PushwireServer, redisBroker } from 'pushwire/server';
import { createDemoApps, type DemoAppOptions, type DemoApps } from './demo-apps.js';
import { OddsBoard } from './odds-board.js';
import { TICKS_CHANNEL, type TickEvent } from '../shared/demo-messages.js';
import { staticFiles } from './static-files.js';

export interface DemoServerOptions extends DemoAppOptions {
  logger?: Logger;
  /** How often the odds board moves, ms. Default 400. */
  oddsInterval?: number;
}

export interface DemoServer {
  http: Server;
  pushwire: PushwireServer;
  apps: DemoApps;
  port: number;
  close(): Promise<void>;
}

/** Without a logger given: warnings and errors as one JSON line each on stderr, like the server's default. */
const stderrLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

/**
 * The demo: the pages in `demo/`, the builds in `dist/` (the client, and the pages' bundles in
 * `dist/demo/`), and a Pushwire server with the in-memory broker running the chat room and the
 * Connect Four table (`demo-apps.ts`). The server also publishes a tick every second on `ticks`.
 */
export async function startDemoServer(port: number, host = '0.0.0.0', options: DemoServerOptions = {}): Promise<DemoServer> {
  // Bundled into dist/cli.js the package root is one level up; run from source (demo/server/, in tests), two.
  const root = fileURLToPath(new URL(import.meta.url.includes('/demo/server/') ? '../..' : '..', import.meta.url));
  const serveDemo = staticFiles('/', `${root}demo`);
  const serveDist = staticFiles('/dist/', `${root}dist`);
  const http = createHttpServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    void (async () => {
      if ((await serveDist(req, res)) || (await serveDemo(req, res))) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    })().catch((error: unknown) => {
      logger.error('demo: request failed', { url: req.url, error: String(error) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });
  // REDIS_URL switches from the in-memory broker to Redis (several nodes can then share the channels).
  const redisUrl = process.env.REDIS_URL;
  // The chat's history is its last 1,000 messages; kept for a day of quiet rather than the default 10 minutes.
  const history = { size: 1000, ttl: 24 * 60 * 60_000 };
  const broker = redisUrl ? redisBroker({ url: redisUrl, history }) : new MemoryBroker({ history });
  const logger = options.logger ?? stderrLogger;
  const apps = createDemoApps((channel, data) => pushwire.publish(channel, data), {
    onError: (error) => logger.warn('demo: a leave notice could not be published', { error: String(error) }),
    ...options,
  });
  const pushwire = createServer({ ...apps.hooks, broker, logger }).attach(http);

  const odds = new OddsBoard(pushwire);
  await odds.start(options.oddsInterval ?? 400);

  let tick = 0;
  const ticker = setInterval(() => {
    const event: TickEvent = { n: ++tick, time: new Date().toISOString() };
    void pushwire.publish(TICKS_CHANNEL, event);
  }, 1000);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const address = http.address();
  return {
    http,
    pushwire,
    apps,
    port: typeof address === 'object' && address ? address.port : port,
    async close() {
      clearInterval(ticker);
      odds.stop();
      await pushwire.close();
      await broker.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
