/**
 * Measures the browser client the way the reference sizes were measured: bundled and minified
 * by esbuild, then gzip level 9. Used by the bundle-size test (the budget) and `npm run bundle-size`
 * (where the bytes go).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { MANGLED_PROPERTIES } from '../mangle.config.js';

/** The budget for the full client (all three transports), min+gzip (issue 15; it was 6 KiB before). */
export const FULL_CLIENT_BUDGET = 9_000;

/**
 * What the test suite enforces today. The full client went over the budget when synced state, presence,
 * transport negotiation and the SSE/long-polling transports landed (11,118 B gz when this was set), so
 * the test holds a ceiling instead: the client may not grow while it is cut back. Lower it with every
 * cut; once it reaches FULL_CLIENT_BUDGET the test enforces the budget itself.
 * Raised once, from 11,500 to 11,600, for request/response and send timeouts (issue 5: 11,552 B gz).
 * Lowered to 8,900 by the bundle cut (8,816 B gz measured; 8,878 B with the cluster resync merged):
 * synced state and presence became the `pushwire/sync` add-on, internal members are renamed by the
 * build (mangle.config.ts), shorter messages, smaller probe/outbox/HTTP helpers. What is left over the
 * budget: see `npm run bundle-size`. Raised to 9,000 for subscriptions pipelined behind the first
 * hello (issue 9's connect rate: one round trip less), and to 9,050 for receipt pacing per transport
 * (SSE/long-polling: a POST per 512 frames instead of per 128).
 * Lowered to 8,600 by the second cut (9,017 → 8,557 B gz with the receipt pacing, 22,785 → 18,879 B
 * minified, every feature kept): the client's state machine, the HTTP transports, the outbox, the
 * channel bookkeeping, the transport plan and memory are closures rather than classes (local names
 * instead of `this.x_`), the upgrade probe lives in the client's closure (its timer one of the
 * client's), one abort signal per HTTP connection, a state get settled through the outbox, and
 * index.ts imports the transports before the client (that module order alone gzips ~50 B smaller).
 * The rest over the budget is the client itself; eventsource-parser alone is ~1.26 KB of it.
 * Raised to 8,700 for the goodbye on page unload (issue 14, finding 6: a `pagehide` listener and the
 * `POST {path}/bye` beacon, so a reloaded page ends its session on every transport; the upstream's
 * keepalive for a `bye` on unload went, no longer needed) and the new session after 4201 (finding 15):
 * 8,566 → 8,693 B gz.
 */
// Raised to 9,200 when the client was split into parts with one job each, readable rather than golfed
// (issue 15: session.ts, handshake.ts, liveness.ts, timers.ts, upgrade-probe.ts; function declarations
// and if statements instead of comma operators and `&&` chains; imports no longer ordered for gzip):
// 8,693 → 9,197 B gz. To be cut back under the budget by structure.
// Raised to 9,230 for the promise policy (issue 16: every promise the client returns is marked handled,
// so a fire-and-forget send that fails is no unhandled rejection): 9,194 → 9,221 B gz.
// Raised to 9,260 for refused credentials (issue 16: close 4200 retried on the same transport with a
// fresh token and backoff, at most 3 times, then an error; no fallback): 9,221 → 9,258 B gz.
// Raised to 9,290 for the appCode and data a server PublicError gives the client's PushwireError (issue 16, server errors; ~23 B gz).
export const FULL_CLIENT_CEILING = 9_290;

/** The budget for the WebSocket-only client (`pushwire/websocket`), min+gzip (issue 15). */
export const WEBSOCKET_ONLY_BUDGET = 5_600;

/**
 * What the test suite enforces for the WebSocket-only client today: 5,981 B gz measured when it became
 * an entry of its own (src/client/websocket-client.ts: no SSE, long-polling, transport memory or upgrade
 * probe; the same client with them was 6,065 B before the split into parts). Lower it with every cut.
 * Raised to 6,020 for the promise policy (issue 16, see FULL_CLIENT_CEILING): 5,981 → 6,012 B gz, and
 * to 6,050 for refused credentials (issue 16): 6,012 → 6,045 B gz, and to 6,070 for the appCode and
 * data of a server PublicError (issue 16): 6,045 → 6,067 B gz; 6,080 after main's later client changes (6,071).
 */
export const WEBSOCKET_ONLY_CEILING = 6_080;

export interface BundleSize {
  name: string;
  minified: number;
  gzip: number;
  code: string;
  metafile: Metafile;
}

const clientDir = (root: string): string => join(root, 'src', 'client');

/** Bundles `contents` (an ES module importing from the client) for the browser and measures it. */
export async function measure(
  root: string,
  name: string,
  contents: string,
  options: { format?: 'esm' | 'iife'; stubs?: Record<string, string> } = {},
): Promise<BundleSize> {
  // `stubs`: module path suffix → replacement source, to estimate what leaving a module out would save.
  const stubs = Object.entries(options.stubs ?? {});
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: `${name}.entry.ts` },
    bundle: true,
    minify: true,
    format: options.format ?? 'esm',
    ...(options.format === 'iife' ? { globalName: 'Pushwire' } : {}),
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // As the shipped build does (tsup.config.ts).
    mangleProps: MANGLED_PROPERTIES,
    plugins: stubs.length
      ? [
          {
            name: 'stubs',
            setup(plugin) {
              plugin.onLoad({ filter: /.*/ }, (args) => {
                const stub = stubs.find(([suffix]) => args.path.replace(/\\/g, '/').endsWith(suffix));
                return stub ? { contents: stub[1], loader: 'ts' } : undefined;
              });
            },
          },
        ]
      : [],
  });
  const code = result.outputFiles[0]!.text;
  return { name, minified: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, code, metafile: result.metafile };
}

/** The client's transport modules: files in src/client/transports that define a TransportDefinition. */
export function transportModules(root: string): string[] {
  const dir = join(clientDir(root), 'transports');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && /:\s*TransportDefinition\s*=/.test(readFileSync(join(dir, file), 'utf8')))
    .map((file) => `./${relative(root, join(dir, file)).replace(/\\/g, '/')}`);
}

export interface ClientSizes {
  /** Everything `src/client/index.ts` exports (what `import * from 'pushwire'` or the IIFE ships). */
  full: BundleSize;
  /** The <script> tag build. */
  iife: BundleSize;
  /** PushwireClientBase (no optional part) with no transport: what stays when every transport is left out. */
  core: BundleSize;
  /** PushwireClientBase with one transport each. */
  withTransport: BundleSize[];
  /** Everything `pushwire/websocket` exports (src/client/websocket-client.ts): the WebSocket-only client. */
  websocketOnly: BundleSize;
  /** The full client and the `pushwire/sync` add-on (synced state, presence) in one bundle, as an app using both ships them. */
  withSync: BundleSize;
  /** The add-on on its own (what `pushwire-sync.global.js` is, give or take its wrapper). */
  sync: BundleSize;
}

export async function clientSizes(root: string): Promise<ClientSizes> {
  const core = "export { PushwireClientBase } from './src/client/client.ts';";
  return {
    full: await measure(root, 'full', "export * from './src/client/index.ts';"),
    iife: await measure(root, 'iife', "export * from './src/client/index.ts';", { format: 'iife' }),
    core: await measure(root, 'core', core),
    withTransport: await Promise.all(
      transportModules(root).map((module) => measure(root, module.replace(/^.*\/|\.ts$/g, ''), `${core}\nexport * from '${module}';`)),
    ),
    websocketOnly: await measure(root, 'websocket-only', "export * from './src/client/websocket-client.ts';"),
    withSync: await measure(root, 'full+sync', "export * from './src/client/index.ts';\nexport * from './src/sync/index.ts';"),
    sync: await measure(root, 'sync', "export * from './src/sync/index.ts';"),
  };
}

/** Minified bytes each source module contributes to a bundle, largest first. */
export function bytesByModule(size: BundleSize): Array<{ module: string; bytes: number }> {
  const output = Object.values(size.metafile.outputs)[0]!;
  return Object.entries(output.inputs)
    .map(([module, { bytesInOutput }]) => ({ module, bytes: bytesInOutput }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * Private and protected class members of the client that the build would ship verbatim: their names
 * don't follow the trailing-underscore convention of mangle.config.ts (the minifier can't shorten
 * property names on its own). Should be none.
 */
export function unmangledPrivateMembers(root: string): string[] {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(
          /\b(?:private|protected)\s+(?:(?:abstract|readonly|async|static)\s+)*([A-Za-z_$][\w$]*)/g,
        )) {
          if (!MANGLED_PROPERTIES.test(match[1]!)) names.add(`${relative(root, path)}: ${match[1]!}`);
        }
      }
    }
  };
  walk(clientDir(root));
  return [...names].sort();
}
