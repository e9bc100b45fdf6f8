// Pushwire beside an Express app: one HTTP server, Express for the pages and routes, Pushwire for
// everything under /pushwire (WebSocket upgrades included). Run: npx tsx examples/express/server.ts
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createServer, type PushwireServer, type ServerOptions } from 'pushwire/server';

export interface RunningApp {
  http: Server;
  pushwire: PushwireServer;
  port: number;
  close(): Promise<void>;
}

export async function startExpressApp(port = 3000, options: ServerOptions = {}): Promise<RunningApp> {
  const app = express();
  app.use(express.json());
  app.get('/', (_req, res) => {
    res.type('html').send('<h1>Express + Pushwire</h1>');
  });

  const http = app.listen(port, '127.0.0.1');
  // attach() takes requests under /pushwire and the WebSocket upgrade; everything else stays Express's.
  const pushwire = createServer(options).attach(http);
  // An Express route publishing to the clients:
  app.post('/announce', async (req, res) => {
    res.json(await pushwire.publish('news', req.body));
  });

  await new Promise<void>((resolve, reject) => http.once('listening', resolve).once('error', reject));
  return {
    http,
    pushwire,
    port: (http.address() as AddressInfo).port,
    async close() {
      await pushwire.close(); // first: it ends the WebSockets and streams that would keep http open
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { port } = await startExpressApp(Number(process.env.PORT ?? 3000));
  console.log(`Express + Pushwire on http://127.0.0.1:${port}`);
}
