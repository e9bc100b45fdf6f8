// Pushwire in a Fastify app, through the plugin beside this file. Run: npx tsx examples/fastify/server.ts
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerOptions } from 'pushwire/server';
import { pushwirePlugin } from './pushwire-plugin.js';

export async function startFastifyApp(port = 3000, options: ServerOptions = {}): Promise<FastifyInstance> {
  // forceCloseConnections: on close, destroy the connections still open (a page's keep-alive sockets
  // and the last long-lived requests) instead of waiting for them to end on their own.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(pushwirePlugin, options);
  app.get('/', async (_req, reply) => reply.type('text/html').send('<h1>Fastify + Pushwire</h1>'));
  app.post('/announce', async (req) => app.pushwire.publish('news', req.body));
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await startFastifyApp(Number(process.env.PORT ?? 3000));
  console.log(`Fastify + Pushwire on ${app.listeningOrigin}`);
}
