import { describe, expect, it } from 'vitest';
import { runClientKit } from '../../src/conformance/client-kit/client-kit.js';
import { referenceClientAdapter } from '../conformance/reference-client-adapter.js';

describe('the client conformance kit', () => {
  it('passes every client rule the reference client declares, on WebSocket, SSE and long-polling', { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const report = await runClientKit({ startAdapter: () => referenceClientAdapter(5_000), write: (line) => lines.push(line) });
    const failed = report.results.filter((r) => r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.details.join('; ')}`)).toEqual([]);
    // Every client rule of PROTOCOL.md has a check, and the reference client implements them all.
    expect(report.results.map((r) => r.id).sort(), lines.join('\n')).toEqual(
      ['BD8', 'CC1', 'CL1', 'CL2', 'CL3', 'CL3d', 'CL3e', 'CL4', 'CL4a', 'CL5', 'CL6', 'CL7', 'CL8', 'CL9', 'EN3', 'EN9', 'HS13', 'HS16']
        .concat(['LP7', 'NG1', 'NG2', 'NG3', 'NG4', 'PR3', 'UG1', 'UG2', 'UP1', 'UP4'])
        .sort(),
    );
    expect(report.skipped, lines.join('\n')).toBe(0);
    const everywhere = report.results.filter((r) => r.passedOn.length === 3).map((r) => r.id);
    expect(everywhere, 'rules checked on each transport passed on all three').toContain('CL2');
  });

  it('fails a client that delivers a message twice, naming the rule', async () => {
    const report = await runClientKit({ startAdapter: () => referenceClientAdapter(5_000, { deliverTwice: true }), only: ['CL3'] });
    const cl3 = report.results.find((r) => r.id === 'CL3');
    expect(cl3?.outcome).toBe('fail');
    expect(cl3?.details.join('\n')).toMatch(/websocket: delivered before the repair: expected \[1,2\], got \[1,1,2,2\]/);
  });

  it('fails a client that keeps its own backoff and queue bound instead of the settings it was given', { timeout: 60_000 }, async () => {
    const report = await runClientKit({
      startAdapter: () => referenceClientAdapter(2_000, { ignoreSettings: true }),
      only: ['CL6', 'BD8'],
    });
    expect(report.results.map((r) => [r.id, r.outcome])).toEqual([
      ['BD8', 'fail'],
      ['CL6', 'fail'],
    ]);
  });
});
