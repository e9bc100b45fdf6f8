// A Fastify plugin: Pushwire on the app's own HTTP server, `app.pushwire` to publish from routes, and
// closed with the app (`app.close()` ends its sessions first, so open WebSockets don't hold the close up).
import fp from 'fastify-plugin';
import { createServer, type PushwireServer, type ServerOptions } from 'pushwire/server';

declare module 'fastify' {
  interface FastifyInstance {
    pushwire: PushwireServer;
  }
}

export const pushwirePlugin = fp<ServerOptions>(
  async (app, options) => {
    const pushwire = createServer(options).attach(app.server);
    app.decorate('pushwire', pushwire);
    // preClose, not onClose: it runs before Fastify waits for the HTTP server to close, which it
    // would not do while WebSockets and event streams are open.
    app.addHook('preClose', async () => {
      await pushwire.close();
    });
  },
  { name: 'pushwire', fastify: '5.x' },
);
