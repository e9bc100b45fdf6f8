import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Peer } from './ipc.js';

/** Where the bundled bench scripts run from (bench/.out), and the repository root. */
export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(benchDir, '..', '..');

/**
 * Starts a bench process (`server-process.js` or `load-process.js`) with `--expose-gc`.
 * BENCH_CPU_PROF=1 writes a V8 CPU profile of each to bench/.out/profiles/ (BENCH_CPU_PROF=rate: see main.ts).
 */
export function spawnBenchProcess(script: string, name: string): Peer {
  const execArgv = ['--expose-gc'];
  if (process.env.BENCH_CPU_PROF && process.env.BENCH_CPU_PROF !== 'rate')
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(benchDir, 'profiles')}`);
  const child = fork(join(benchDir, script), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Peer(name, child);
}
