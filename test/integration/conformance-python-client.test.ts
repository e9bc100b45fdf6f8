import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Adapter } from '../../src/conformance/client-kit/adapter.js';
import { runClientKit } from '../../src/conformance/client-kit/client-kit.js';

const CLIENT = fileURLToPath(new URL('../conformance/python/pushwire_client.py', import.meta.url));

/** The rule ids the Python client passes: the eleven it declares, with the details CL3d, CL3e and CL4a. */
const PASSED = ['CL1', 'CL2', 'CL3', 'CL3d', 'CL3e', 'CL4', 'CL4a', 'CL5', 'CL7', 'CL8', 'CL9', 'EN3', 'EN9', 'HS13'];

describe('a client in another language through the client kit', () => {
  // A fresh Python process per check: on a loaded machine each start alone can take seconds.
  for (const transport of ['long-polling', 'sse']) {
    it(`the Python standard-library client passes every client rule it declares on ${transport}`, { timeout: 180_000 }, async () => {
      const lines: string[] = [];
      const report = await runClientKit({
        startAdapter: () => Adapter.spawn('python3', [CLIENT, transport], 5_000),
        concurrency: 4,
        write: (line) => lines.push(line),
      });
      const failed = report.results.filter((r) => r.outcome === 'fail');
      expect(failed.map((r) => `${r.id}: ${r.details.join('; ')}`)).toEqual([]);
      const passed = report.results.filter((r) => r.outcome === 'pass');
      expect(passed.map((r) => r.id).sort(), lines.join('\n')).toEqual([...PASSED].sort());
      expect(passed.every((r) => r.passedOn.join() === transport)).toBe(true);
    });
  }
});
