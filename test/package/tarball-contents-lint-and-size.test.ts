import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCommand, runOk } from '../support/run-command.js';

// Needs the build (`npm test` builds first): it packs dist/ as `npm publish` would.
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** What the tarball may hold, and its size budget (unpacked bytes, as `npm pack` reports them). */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^dist\/[\w.-]+\.(js|cjs|d\.ts|d\.cts)$/, // the library, its types, the <script> builds, the CLI
  /^dist\/demo\/(vanilla|react)\.js$/, // the demo pages' bundles `pushwire demo` serves…
  /^demo\/(index\.html|react\/index\.html|styles\.css|favicon\.svg)$/, // …and the pages themselves
];
// 1.15 MB today (was 2.9 MB with source maps, docs and the demo's sources): the server (HTTP API and JWT
// included) ×2 for ESM and CommonJS, the CLI with the conformance kit (~130 KB), and the React demo
// page's bundle (React inside, a fifth of it). A source map or a stray folder would blow the budget at once.
const UNPACKED_BUDGET = 1_300_000;

interface PackedFile {
  path: string;
  size: number;
}

describe('the npm tarball', () => {
  let files: PackedFile[];
  let unpackedSize: number;

  beforeAll(async () => {
    const { stdout } = await runOk('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const [report] = JSON.parse(stdout) as Array<{ files: PackedFile[]; unpackedSize: number }>;
    files = report!.files;
    unpackedSize = report!.unpackedSize;
  });

  it(`holds the library, its types, the <script> builds and the pages pushwire demo serves, within ${UNPACKED_BUDGET} bytes unpacked`, () => {
    console.log(`tarball: ${files.length} files, ${unpackedSize} bytes unpacked (budget ${UNPACKED_BUDGET})`);
    expect(files.map((file) => file.path).filter((path) => !ALLOWED.some((pattern) => pattern.test(path)))).toEqual([]);
    for (const needed of [
      'LICENSE',
      'CHANGELOG.md',
      'dist/index.cjs',
      'dist/server.cjs',
      'dist/server.d.cts',
      'dist/pushwire.global.js',
      'dist/cli.js',
      'demo/index.html',
    ]) {
      expect(files.map((file) => file.path)).toContain(needed);
    }
    expect(unpackedSize).toBeLessThanOrEqual(UNPACKED_BUDGET);
  });

  it('has declarations that import nothing but Node, React and their own files (no optional or ESM-only dependency)', () => {
    const declarations = files.map((file) => file.path).filter((path) => /\.d\.c?ts$/.test(path));
    expect(declarations.length).toBeGreaterThan(0);
    for (const path of declarations) {
      const text = readFileSync(join(root, path), 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]!);
      expect(
        specifiers.filter((specifier) => !/^(node:|react$|pushwire(\/sync)?$|\.\/)/.test(specifier)),
        path,
      ).toEqual([]);
    }
  });

  it('passes publint (strict: warnings fail too)', async () => {
    const result = await runCommand(bin('publint'), ['--strict'], { cwd: root });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('resolves with types for every entry point under node10, node16 (from CommonJS and ESM) and bundler (arethetypeswrong)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pushwire-attw-'));
    const { stdout } = await runOk('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', folder], { cwd: root });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    // The <script> builds are not modules: nothing imports them, so they have no types to check.
    const result = await runCommand(
      bin('attw'),
      [join(folder, filename), '--exclude-entrypoints', 'pushwire.global.js', 'pushwire-sync.global.js', '--format', 'table-flipped'],
      {
        cwd: root,
      },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('No problems found');
  });
});
