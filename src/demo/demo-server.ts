import { createServer as createHttpServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServer, type PushwireServer, redisBroker } from '../server/index.js';
import { staticFiles } from './static-files.js';

export interface DemoServer {
  http: Server;
  pushwire: PushwireServer;
  port: number;
  close(): Promise<void>;
}

/**
 * The demo: the pages in `demo/`, the client builds in `dist/`, and a Pushwire server with the
 * in-memory broker. The server publishes a tick every second on `ticks`; pages may publish on `chat`.
 */
export async function startDemoServer(port: number, host = '0.0.0.0'): Promise<DemoServer> {
  // This file is bundled into dist/cli.js: the package root is one level up.
  const root = fileURLToPath(new URL('..', import.meta.url));
  const serveDemo = staticFiles('/', `${root}demo`);
  const serveDist = staticFiles('/dist/', `${root}dist`);
  const http = createHttpServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    void (async () => {
      if ((await serveDist(req, res)) || (await serveDemo(req, res))) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    })();
  });
  // REDIS_URL switches from the in-memory broker to Redis (several nodes can then share the channels).
  const redisUrl = process.env.REDIS_URL;
  const pushwire = createServer({
    canPublish: (_session, channel) => channel === 'chat',
    ...(redisUrl ? { broker: redisBroker({ url: redisUrl }) } : {}),
  }).attach(http);

  let tick = 0;
  const ticker = setInterval(() => {
    void pushwire.publish('ticks', { n: ++tick, time: new Date().toISOString() });
  }, 1000);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const address = http.address();
  return {
    http,
    pushwire,
    port: typeof address === 'object' && address ? address.port : port,
    async close() {
      clearInterval(ticker);
      await pushwire.close();
      if (redisUrl) await pushwire.broker.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
