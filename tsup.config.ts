import { defineConfig } from 'tsup';
import { MANGLED_PROPERTIES } from './mangle.config.js';

// Browser code only: its internal members are renamed (see mangle.config.ts). The server is left alone.
const mangle = { esbuildOptions: (options: { mangleProps?: RegExp }) => void (options.mangleProps = MANGLED_PROPERTIES) };

export default defineConfig([
  {
    // Browser client (ESM), its synced state/presence add-on, and the React hooks.
    entry: { index: 'src/client/index.ts', sync: 'src/sync/index.ts', react: 'src/react/index.ts' },
    format: ['esm'],
    target: 'es2020',
    ...mangle,
    // pushwire/react refers to the client by the package's own name, so its types are the main entry's.
    external: ['pushwire', 'pushwire/sync', 'react'],
    dts: { entry: { index: 'src/client/index.ts', sync: 'src/sync/index.ts', react: 'src/react/index.ts' } },
    sourcemap: true,
    clean: true,
    splitting: false,
  },
  {
    // The Node server and the CLI.
    entry: { server: 'src/server/index.ts', cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'es2020',
    dts: { entry: { server: 'src/server/index.ts' } },
    sourcemap: true,
    splitting: false,
  },
  {
    // <script> tag build: sets window.Pushwire (the client, all three transports).
    entry: { pushwire: 'src/client/index.ts' },
    format: ['iife'],
    globalName: 'Pushwire',
    target: 'es2020',
    ...mangle,
    minify: true,
    sourcemap: true,
    outExtension: () => ({ js: '.global.js' }),
  },
  {
    // <script> tag add-on, after the one above: sets window.Pushwire.sync (synced state and presence).
    entry: { 'pushwire-sync': 'src/sync/index.ts' },
    format: ['iife'],
    globalName: 'Pushwire.sync',
    target: 'es2020',
    ...mangle,
    minify: true,
    sourcemap: true,
    outExtension: () => ({ js: '.global.js' }),
  },
]);
