import { afterEach, describe, expect, it } from 'vitest';
import { runServerKit } from '../../src/conformance/server-kit.js';
import { CONFORMANCE_SERVER_OPTIONS } from '../../src/conformance/test-server.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';

afterEach(closeAll);

/** Rules one server in test mode cannot be driven into; the kit skips them and says why. */
const UNREACHABLE = [
  'EP5',
  'EP6',
  'SC5',
  'SB6',
  'EV7',
  'SE6',
  'SL1',
  'SL4',
  'SL5',
  'SL6',
  'BD7',
  'BD9',
  'BD11',
  'CU1',
  'CU2',
  'CU3',
  'CU4',
  'CU5',
  'CU6',
  'CU7',
];

describe('the server conformance kit', () => {
  it('passes every server rule it can reach against the reference server in test mode, on every transport', async () => {
    const server = await startTestServer(CONFORMANCE_SERVER_OPTIONS);
    const lines: string[] = [];
    const report = await runServerKit({ url: server.url, write: (line) => lines.push(line) });
    const failed = report.results.filter((r) => r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.details.join('; ')}`)).toEqual([]);
    expect(
      report.results
        .filter((r) => r.outcome === 'skip')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...UNREACHABLE].sort());
    // One line per rule id, then the summary.
    expect(lines.filter((line) => /^(PASS|FAIL|SKIP) {2}[A-Z]{2}\d+/.test(line))).toHaveLength(report.results.length);
    expect(lines.at(-1)).toBe(`${report.results.length} rules: ${report.passed} passed, 0 failed, ${report.skipped} skipped`);
  });

  it('fails a server that breaks a rule, naming the rule and the transport', async () => {
    const server = await startTestServer({ ...CONFORMANCE_SERVER_OPTIONS, allowedOrigins: '*' });
    const report = await runServerKit({ url: server.url, only: ['EP3'] });
    expect(report.failed).toBe(1);
    expect(report.results[0]).toMatchObject({ id: 'EP3', outcome: 'fail' });
    expect(report.results[0]!.details.join('\n')).toMatch(/websocket: status: expected 403, got 101/);
  });

  it('skips the rules that need test mode against a server without it, and says so', async () => {
    const server = await startTestServer({ heartbeatInterval: 60_000 });
    const report = await runServerKit({ url: server.url, only: ['HS5', 'HS2', 'SC1'] });
    const byId = Object.fromEntries(report.results.map((r) => [r.id, r]));
    expect(byId.HS2!.outcome).toBe('pass');
    expect(byId.HS5).toMatchObject({ outcome: 'skip', details: [expect.stringMatching(/test mode/)] });
    expect(byId.SC1!.outcome).toBe('skip');
  });
});
