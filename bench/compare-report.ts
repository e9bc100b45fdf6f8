/**
 * The table of bench/compare.sh: every metric of every target, before and after, round by round, with
 * each Pushwire figure also as a ratio to its anchor of the same round (the load of the machine moves
 * absolute figures between rounds; a ratio within one round is what compares).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { metrics } from './report.js';
import type { Machine, TargetResult } from './results.js';

interface Saved {
  results: TargetResult[];
  info: Machine;
  config: BenchConfig;
}

const ANCHOR: Record<string, string> = { 'pushwire-websocket': 'ws', 'pushwire-sse': 'sse' };

function cell(value: number | undefined, anchor: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  const text = value.toFixed(value >= 100 ? 0 : 2);
  return anchor === undefined || !anchor ? text : `${text} (${(value / anchor).toFixed(2)}×)`;
}

const dir = process.argv[2]!;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort((a, b) => a.split('-')[1]!.localeCompare(b.split('-')[1]!) || a.localeCompare(b));
const runs = files.map((f) => ({ name: f.replace('.json', ''), saved: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Saved }));
const config = runs[0]!.saved.config;
console.log(`runs: ${runs.map((r) => `${r.name} (load ${r.saved.info.loadAverage.toFixed(1)})`).join(', ')}`);
for (const id of Object.keys(ANCHOR)) {
  if (!runs.some((r) => r.saved.results.some((t) => t.id === id))) continue;
  console.log(`\n${id} (ratio to ${ANCHOR[id]} of the same run)`);
  for (const metric of metrics(config)) {
    const cells = runs.map((run) => {
      const mine = run.saved.results.find((t) => t.id === id);
      const anchor = run.saved.results.find((t) => t.id === ANCHOR[id]);
      return cell(mine && metric.get(mine), anchor && metric.get(anchor));
    });
    if (cells.every((c) => c === '–')) continue;
    console.log(`${`${metric.section}: ${metric.name}`.padEnd(52)} ${cells.map((c) => c.padStart(18)).join(' ')}`);
  }
}
