import { defineConfig } from 'tsup';
import { MANGLED_PROPERTIES } from './mangle.config.js';

// No source maps in the package: the ESM and CommonJS builds are not minified (stack traces read as they
// are), and maps with their sources would double the tarball. The <script> builds are minified for size.
// `node:` prefixes stay: Deno needs them.

// Browser code only: its internal members are renamed (see mangle.config.ts). The server is left alone.
const mangle = { esbuildOptions: (options: { mangleProps?: RegExp }) => void (options.mangleProps = MANGLED_PROPERTIES) };

const serverBuild = {
  name: 'server-build',
  setup(build: { onResolve(options: { filter: RegExp }, resolve: () => { path: string; external: boolean }): void }) {
    build.onResolve({ filter: /\/server\/index\.js$|^pushwire\/server$/ }, () => ({ path: './server.js', external: true }));
  },
};

export default defineConfig([
  {
    // Browser client, its WebSocket-only variant, its synced state/presence add-on, and the React hooks;
    // ESM and CommonJS.
    entry: {
      index: 'src/client/index.ts',
      websocket: 'src/client/websocket-client.ts',
      sync: 'src/sync/index.ts',
      react: 'src/react/index.ts',
    },
    format: ['esm', 'cjs'],
    target: 'es2020',
    removeNodeProtocol: false,
    ...mangle,
    // pushwire/react refers to the client by the package's own name, so its types are the main entry's.
    external: ['pushwire', 'pushwire/sync', 'react'],
    dts: {
      entry: {
        index: 'src/client/index.ts',
        websocket: 'src/client/websocket-client.ts',
        sync: 'src/sync/index.ts',
        react: 'src/react/index.ts',
      },
    },
    clean: true,
    splitting: false,
  },
  {
    // The Node server, ESM and CommonJS (import.meta.url shimmed in the latter).
    entry: { server: 'src/server/index.ts' },
    format: ['esm', 'cjs'],
    target: 'es2020',
    removeNodeProtocol: false,
    dts: { entry: { server: 'src/server/index.ts' } },
    shims: true,
    splitting: false,
  },
  {
    // The CLI (ESM only: it is run, never imported), with the demo's server (demo/server/) for `pushwire
    // demo`. It imports the server build beside it rather than carrying a second copy of the server.
    entry: { cli: 'src/cli.ts' },
    esbuildPlugins: [serverBuild],
    format: ['esm'],
    target: 'es2020',
    removeNodeProtocol: false,
    splitting: false,
  },
  {
    // <script> tag build: sets window.Pushwire (the client, all three transports).
    entry: { pushwire: 'src/client/index.ts' },
    format: ['iife'],
    globalName: 'Pushwire',
    target: 'es2020',
    removeNodeProtocol: false,
    ...mangle,
    minify: true,
    outExtension: () => ({ js: '.global.js' }),
  },
  {
    // <script> tag add-on, after the one above: sets window.Pushwire.sync (synced state and presence).
    entry: { 'pushwire-sync': 'src/sync/index.ts' },
    format: ['iife'],
    globalName: 'Pushwire.sync',
    target: 'es2020',
    removeNodeProtocol: false,
    ...mangle,
    minify: true,
    outExtension: () => ({ js: '.global.js' }),
  },
]);
