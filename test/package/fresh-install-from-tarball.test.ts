import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommand, runOk } from '../support/run-command.js';

// Needs the build (`npm test` builds first). Packs the package as `npm publish` would, installs the
// tarball in fresh folders under the system's temp folder (React 19 in one, React 18 in the other; no
// ioredis in either) and uses it as an application would. npm prefers its cache, so a second run is quick.
const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(root, 'test/fixtures/consumer');
const TSC = join(root, 'node_modules/typescript/bin/tsc');
const HAPPY_DOM = pathToFileURL(join(root, 'node_modules/happy-dom/lib/index.js')).href;
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/**
 * tsconfig for one moduleResolution, strict. skipLibCheck is off for bundler (ESM types) and node16
 * (CommonJS types), so the package's own declarations are checked where a missing optional dependency
 * or an ESM-only one would show; nodenext and node10 check resolution and use (each full check takes
 * about a minute on a loaded machine).
 */
const RESOLUTIONS: Record<string, { module: string; moduleResolution: string; files: string[]; skipLibCheck: boolean }> = {
  bundler: { module: 'esnext', moduleResolution: 'bundler', files: ['check.ts'], skipLibCheck: false },
  node16: { module: 'node16', moduleResolution: 'node16', files: ['check.ts', 'check.mts'], skipLibCheck: false }, // .ts is CommonJS here, .mts ESM
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', files: ['check.ts', 'check.mts'], skipLibCheck: true },
  node10: { module: 'commonjs', moduleResolution: 'node10', files: ['check.ts'], skipLibCheck: true },
};

function freshFolder(base: string, name: string): string {
  const folder = join(base, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `pushwire-consumer-${name}`, private: true }));
  return folder;
}

async function runJson(folder: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const { stdout } = await runOk(process.execPath, [file], { cwd: folder, env, timeoutMs: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('the packed package installed in a fresh folder', () => {
  let react19: string;
  let react18: string;

  beforeAll(async () => {
    const base = mkdtempSync(join(tmpdir(), 'pushwire-install-'));
    const { stdout } = await runOk('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', base], { cwd: root });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    const tarball = join(base, filename);
    react19 = freshFolder(base, 'react19');
    react18 = freshFolder(base, 'react18');
    // One after the other: two npm installs at once on a shared 2-core machine only slow each other.
    await runOk('npm', [...NPM_INSTALL, tarball, 'react@19', 'react-dom@19', '@types/react@19', '@types/node@20'], {
      cwd: react19,
      timeoutMs: 240_000,
    });
    await runOk('npm', [...NPM_INSTALL, tarball, 'react@18', 'react-dom@18'], { cwd: react18, timeoutMs: 240_000 });
    for (const file of ['app.cjs', 'app.mjs', 'check.ts', 'react-app.mjs']) copyFileSync(join(FIXTURES, file), join(react19, file));
    copyFileSync(join(FIXTURES, 'check.ts'), join(react19, 'check.mts'));
    copyFileSync(join(FIXTURES, 'react-app.mjs'), join(react18, 'react-app.mjs'));
  });

  it('works from CommonJS: require("pushwire/server"), require("pushwire"), require("pushwire/sync")', async () => {
    const result = await runJson(react19, 'app.cjs');
    expect(result).toMatchObject({ got: 'hello from cjs', transport: 'websocket', syncedState: 'function' });
  });

  it('works from ESM, and the server serves the client script from the installed package', async () => {
    expect(await runJson(react19, 'app.mjs')).toEqual({
      got: 'hello from esm',
      transport: 'websocket',
      syncedState: 'function',
      script: 200,
    });
  });

  it('refuses a Redis broker at creation, saying to npm install ioredis, when ioredis is not installed', async () => {
    const result = await runJson(react19, 'app.cjs');
    expect(result.redisError).toContain('npm install ioredis');
    const cli = await runCommand(join(react19, 'node_modules/.bin/pushwire'), ['serve', '--port=0', '--redis-url', 'redis://127.0.0.1:1'], {
      cwd: react19,
      timeoutMs: 30_000,
    });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('npm install ioredis');
  });

  // Concurrently: each tsc is one core's work, and these four are most of this file's time.
  it.concurrent.each(Object.keys(RESOLUTIONS))('type-checks with moduleResolution %s (strict, no ioredis installed)', async (name) => {
    const { module, moduleResolution, files, skipLibCheck } = RESOLUTIONS[name]!;
    const compilerOptions = {
      module,
      moduleResolution,
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck,
      jsx: 'react-jsx',
      types: ['node'],
    };
    writeFileSync(join(react19, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files }));
    const result = await runCommand(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], { cwd: react19, timeoutMs: 120_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it.each([
    ['19', () => react19],
    ['18', () => react18],
  ])('renders the React hooks with React %s: useConnection and useChannel receive a message', async (major, folder) => {
    const result = await runJson(folder(), 'react-app.mjs', { ...process.env, HAPPY_DOM });
    expect(String(result.react)).toMatch(new RegExp(`^${major}\\.`));
    expect(result.text).toBe('open/new/hello');
  });

  it('runs pushwire --version and pushwire demo from the installed bin, with every page and script it serves', async () => {
    const pushwire = join(react18, 'node_modules/.bin/pushwire');
    expect((await runOk(pushwire, ['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const { spawn } = await import('node:child_process');
    const demo = spawn(pushwire, ['demo', '--port=0', '--host=127.0.0.1'], { cwd: react18, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`demo did not start: ${output}`)), 20_000);
        demo.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /localhost:(\d+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
      });
      for (const path of [
        '/',
        '/react/',
        '/styles.css',
        '/favicon.svg',
        '/dist/pushwire.global.js',
        '/dist/pushwire-sync.global.js',
        '/dist/demo/vanilla.js',
        '/dist/demo/react.js',
      ]) {
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);
      }
    } finally {
      demo.kill('SIGKILL');
    }
  });
});
