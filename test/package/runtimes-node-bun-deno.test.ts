import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runOk } from '../support/run-command.js';

// Needs the build (`npm test` builds first). Bun and Deno come from their npm packages (devDependencies,
// which ship the binaries); Node 22 from the registry's node-<platform>-<arch> package, installed once
// into a cache folder on first run (not a devDependency: its `node` bin would replace the Node that
// runs npm's scripts).
const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(root, 'test/fixtures/runtime-smoke.mjs');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const NODE_22_PACKAGE = `node-${process.platform}-${process.arch}@22`;
const NODE_22_FOLDER = join(tmpdir(), 'pushwire-node22');
const NODE_22 = join(NODE_22_FOLDER, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node');

interface SmokeResult {
  runtime: string;
  results: Record<string, { transport?: string; received?: unknown[]; answer?: unknown; error?: string }>;
}

async function smoke(command: string, args: string[]): Promise<SmokeResult> {
  const { stdout } = await runOk(command, [...args], { cwd: root, timeoutMs: 90_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as SmokeResult;
}

/** Every transport carried a server publish, a client publish and a request, on that transport. */
function expectRoundTrips(result: SmokeResult, transports = ['websocket', 'sse', 'long-polling']): void {
  for (const transport of transports) {
    expect(result.results[transport], `${result.runtime} ${transport}`).toEqual({
      transport,
      received: [{ from: 'server' }, { from: 'client' }],
      answer: { echo: 'ping' },
    });
  }
}

describe('the built server and client on other runtimes', () => {
  beforeAll(async () => {
    if (!existsSync(NODE_22)) {
      await runOk(
        'npm',
        [
          'install',
          '--prefix',
          NODE_22_FOLDER,
          '--no-save',
          '--no-package-lock',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          NODE_22_PACKAGE,
        ],
        {
          timeoutMs: 240_000,
        },
      );
    }
  });

  it('runs on Node 22, the client on its global WebSocket (no WebSocket option)', async () => {
    const result = await smoke(NODE_22, [FIXTURE]);
    expect(result.runtime).toMatch(/^node 22\./);
    expectRoundTrips(result);
  });

  it('runs on Bun, the client on its global WebSocket', async () => {
    const result = await smoke(bin('bun'), [FIXTURE]);
    expect(result.runtime).toMatch(/^bun /);
    expectRoundTrips(result);
  });

  it('runs on Deno, the client on its global WebSocket', async () => {
    const result = await smoke(bin('deno'), ['run', '--allow-net', '--allow-read', '--allow-env', '--allow-sys', FIXTURE]);
    expect(result.runtime).toMatch(/^deno /);
    expectRoundTrips(result);
  });

  it('runs on Node 20 with the ws package as the WebSocket option; without it only SSE and long-polling work', async () => {
    expect(process.versions.node).toMatch(/^20\./);
    expectRoundTrips(await smoke(process.execPath, [FIXTURE, '--ws']));
    const bare = await smoke(process.execPath, [FIXTURE, '--wait=3000']);
    expectRoundTrips(bare, ['sse', 'long-polling']);
    expect(bare.results.websocket?.error).toContain('timed out');
  });
});
