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
});
