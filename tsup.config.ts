import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // Browser client (ESM) and the Node server + CLI.
    entry: { index: 'src/client/index.ts', server: 'src/server/index.ts', cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'es2020',
    dts: { entry: { index: 'src/client/index.ts', server: 'src/server/index.ts' } },
    sourcemap: true,
    clean: true,
    splitting: false,
  },
  {
    // <script> tag build: sets window.Pushwire.
    entry: { pushwire: 'src/client/index.ts' },
    format: ['iife'],
    globalName: 'Pushwire',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    outExtension: () => ({ js: '.global.js' }),
  },
]);
