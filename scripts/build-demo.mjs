// Bundles the demo pages' own code into dist/demo/ (run by `npm run build`, after tsup built dist/):
// - vanilla.js: demo/vanilla/, an IIFE next to the library's <script> tag build; it must not bundle
//   the library (it uses window.Pushwire), so importing `pushwire` at run time is an error here;
// - react.js: demo/react/ with React, `pushwire` (dist/index.js, the ESM build) and `pushwire/react`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, target: 'es2020', logLevel: 'warning', absWorkingDir: root };

const noLibrary = {
  name: 'no-library',
  setup(b) {
    b.onResolve({ filter: /^pushwire(\/|$)/ }, (args) => ({
      errors: [{ text: `${args.importer} imports ${args.path} at run time: the vanilla page uses window.Pushwire (import types only)` }],
    }));
  },
};

const builtLibrary = {
  name: 'built-library',
  setup(b) {
    b.onResolve({ filter: /^pushwire$/ }, () => ({ path: `${root}dist/index.js` }));
    b.onResolve({ filter: /^pushwire\/sync$/ }, () => ({ path: `${root}dist/sync.js` }));
    b.onResolve({ filter: /^pushwire\/react$/ }, () => ({ path: `${root}dist/react.js` }));
  },
};

await Promise.all([
  build({ ...common, entryPoints: ['demo/vanilla/main.ts'], outfile: 'dist/demo/vanilla.js', format: 'iife', plugins: [noLibrary] }),
  build({
    ...common,
    entryPoints: ['demo/react/main.tsx'],
    outfile: 'dist/demo/react.js',
    format: 'esm',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [builtLibrary],
  }),
]);
