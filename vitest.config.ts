import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// In this repository `pushwire/sync` (as pushwire/react imports it) and `pushwire/server` (as the examples
// import it) are the source itself, as in tsconfig.json.
const resolve = {
  alias: {
    'pushwire/sync': fileURLToPath(new URL('./src/sync/index.ts', import.meta.url)),
    'pushwire/server': fileURLToPath(new URL('./src/server/index.ts', import.meta.url)),
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve,
        test: {
          // The demo in Debian's Chromium via playwright-core (needs `npm run build` first; `npm test` does it).
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
