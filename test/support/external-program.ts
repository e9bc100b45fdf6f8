import { existsSync } from 'node:fs';

/**
 * Finds a program some tests drive for real (redis-server, nginx, chromium). Missing locally, the
 * caller skips with `reason`; under CI=true a missing program is a failure, never a skip.
 */
export function requireProgram(path: string, what: string): { available: boolean; reason: string } {
  if (existsSync(path)) return { available: true, reason: '' };
  const reason = `${what} not found at ${path} (install the Debian package; .ci/run does)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.warn(`skipping: ${reason}`);
  return { available: false, reason };
}
