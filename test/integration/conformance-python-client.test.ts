import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Adapter } from '../../src/conformance/client-kit/adapter.js';
import { runClientKit } from '../../src/conformance/client-kit/client-kit.js';

const CLIENT = fileURLToPath(new URL('../conformance/python/pushwire_lp_client.py', import.meta.url));

describe('a client in another language through the client kit', () => {
  // A fresh Python process per check: on a loaded machine each start alone can take seconds.
  it('the Python standard-library long-polling client passes every client rule it declares', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const report = await runClientKit({
      startAdapter: () => Adapter.spawn('python3', [CLIENT], 5_000),
      concurrency: 4,
      write: (line) => lines.push(line),
    });
    const failed = report.results.filter((r) => r.outcome === 'fail');
    expect(failed.map((r) => `${r.id}: ${r.details.join('; ')}`)).toEqual([]);
    // It declares 11 rules; each one ran on long-polling and passed.
    expect(
      report.results
        .filter((r) => r.outcome === 'pass')
        .map((r) => r.id)
        .sort(),
      lines.join('\n'),
    ).toEqual(['CL1', 'CL2', 'CL3', 'CL3d', 'CL3e', 'CL4', 'CL5', 'CL7', 'CL8', 'CL9', 'EN3', 'EN9', 'HS13'].sort());
  });
});
