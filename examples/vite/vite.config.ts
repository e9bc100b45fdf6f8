// A Vite dev server in front of a Pushwire server: the page comes from Vite (with hot reload), and
// everything under /pushwire goes to Pushwire, WebSocket upgrades included (`ws: true`).
// Run the Pushwire server (e.g. `npx pushwire serve --port 3000`), then `npx vite examples/vite`.
import { defineConfig } from 'vite';

export default defineConfig({
  server: {
    proxy: {
      '/pushwire': {
        target: process.env.PUSHWIRE_URL ?? 'http://127.0.0.1:3000',
        // Proxies the WebSocket transport too; SSE and long-polling are plain HTTP and stream through.
        ws: true,
        // No changeOrigin: the Host header stays the page's, so Pushwire's same-origin check
        // (allowedOrigins' default) accepts the page's Origin.
      },
    },
  },
});
