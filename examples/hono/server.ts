// Pushwire beside a Hono app on Node (@hono/node-server): Hono answers its routes, Pushwire takes
// /pushwire on the same Node server. Run: npx tsx examples/hono/server.ts
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createServer, type ServerOptions } from 'pushwire/server';

export async function startHonoApp(port = 3000, options: ServerOptions = {}) {
  const app = new Hono();
  // serve() returns the Node HTTP server it creates: Pushwire attaches to it.
  const http = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }) as Server;
  const pushwire = createServer(options).attach(http);
  app.get('/', (c) => c.html('<h1>Hono + Pushwire</h1>'));
  app.post('/announce', async (c) => c.json(await pushwire.publish('news', await c.req.json())));
  await once(http, 'listening');
  return {
    port: (http.address() as AddressInfo).port,
    pushwire,
    async close(): Promise<void> {
      await pushwire.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { port } = await startHonoApp(Number(process.env.PORT ?? 3000));
  console.log(`Hono + Pushwire on http://127.0.0.1:${port}`);
}
