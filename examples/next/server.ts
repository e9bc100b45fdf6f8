// A Next.js custom server with Pushwire on the same port: Pushwire answers /pushwire (and its WebSocket
// upgrade), Next.js everything else. Build the app first (`npx next build examples/next`), then run
// `NODE_ENV=production npx tsx examples/next/server.ts`.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { createServer, type ServerOptions } from 'pushwire/server';

export async function startNextApp(options: { dir?: string; port?: number; dev?: boolean; pushwire?: ServerOptions } = {}) {
  const dir = options.dir ?? fileURLToPath(new URL('.', import.meta.url));
  const app = next({ dir, dev: options.dev ?? process.env.NODE_ENV !== 'production' });
  const handle = app.getRequestHandler();
  await app.prepare();

  const http = createHttpServer((req, res) => void handle(req, res));
  const pushwire = createServer(options.pushwire).attach(http);
  // In development Next.js serves hot reload over a WebSocket too: Pushwire takes only its own path's
  // upgrades and leaves the others to Next's handler.
  const upgrade = app.getUpgradeHandler();
  http.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith(`${pushwire.path}/`)) void upgrade(req, socket, head);
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 3000, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    pushwire,
    async close(): Promise<void> {
      await pushwire.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await app.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { port } = await startNextApp({ port: Number(process.env.PORT ?? 3000) });
  console.log(`Next.js + Pushwire on http://127.0.0.1:${port}`);
}
