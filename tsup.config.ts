import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // Browser client (ESM), React hooks, and the Node server + CLI.
    entry: { index: 'src/client/index.ts', react: 'src/react/index.ts', server: 'src/server/index.ts', cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'es2020',
    // pushwire/react refers to the client by the package's own name, so its types are the main entry's.
    external: ['pushwire', 'react'],
    dts: { entry: { index: 'src/client/index.ts', react: 'src/react/index.ts', server: 'src/server/index.ts' } },
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
