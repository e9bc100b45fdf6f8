import { describe, expect, it } from 'vitest';
import { runClientKit } from '../../src/conformance/client-kit/client-kit.js';
import { referenceClientAdapter } from '../conformance/reference-client-adapter.js';

describe('the client conformance kit', () => {
  it('passes every client rule the reference client declares, on WebSocket and long-polling', async () => {
    const lines: string[] = [];
    const report = await runClientKit({ startAdapter: () => referenceClientAdapter(5_000), write: (line) => lines.push(line) });
    const failed = report.results.filter((r) => r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.details.join('; ')}`)).toEqual([]);
    expect(report.passed, lines.join('\n')).toBeGreaterThanOrEqual(12);
  });

  it('fails a client that delivers a message twice, naming the rule', async () => {
    const report = await runClientKit({ startAdapter: () => referenceClientAdapter(5_000, { deliverTwice: true }), only: ['CL3'] });
    const cl3 = report.results.find((r) => r.id === 'CL3');
    expect(cl3?.outcome).toBe('fail');
    expect(cl3?.details.join('\n')).toMatch(/websocket: delivered before the repair: expected \[1,2\], got \[1,1,2,2\]/);
  });
});
