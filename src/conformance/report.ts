/** The verdicts of a kit run (server or client), one per rule id, and the lines that report them. */

export type Outcome = 'pass' | 'fail' | 'skip';

/** One check's outcome on one transport. */
export interface Attempt {
  transport: string;
  outcome: Outcome;
  detail: string;
}

/** The verdict on one rule id, over every check and transport that proves it. */
export interface RuleResult {
  id: string;
  title: string;
  outcome: Outcome;
  /** Transports it passed on. */
  passedOn: string[];
  /** Why it failed or was skipped (per transport). */
  details: string[];
}

export interface KitReport {
  results: RuleResult[];
  passed: number;
  failed: number;
  skipped: number;
}

/** Several checks may prove one rule: it fails if any attempt failed, is skipped if all were, passes otherwise. */
export function mergeAttempts(results: Map<string, RuleResult>, check: { id: string; title: string }, attempts: Attempt[]): void {
  const result = results.get(check.id) ?? { id: check.id, title: check.title, outcome: 'skip' as Outcome, passedOn: [], details: [] };
  for (const attempt of attempts) {
    if (attempt.outcome === 'pass' && !result.passedOn.includes(attempt.transport)) result.passedOn.push(attempt.transport);
    if (attempt.outcome !== 'pass') result.details.push(`${attempt.transport}: ${attempt.detail}`);
  }
  if (result.outcome === 'fail' || attempts.some((a) => a.outcome === 'fail')) result.outcome = 'fail';
  else if (attempts.some((a) => a.outcome === 'pass')) result.outcome = 'pass';
  results.set(check.id, result);
}

/** `PASS  HS4   title [transports]`, or FAIL/SKIP with the reasons on the lines below. */
export function reportLine(result: RuleResult): string {
  const label = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[result.outcome];
  const head = `${label}  ${result.id.padEnd(5)} ${result.title}`;
  if (result.outcome === 'pass') {
    const skippedOn = result.details.length > 0 ? `; skipped: ${result.details.join('; ')}` : '';
    return `${head} [${result.passedOn.join(', ')}]${skippedOn}`;
  }
  return `${head}\n        ${result.details.join('\n        ')}`;
}

/** Writes one line per rule and the summary line; returns the counts. */
export function summarize(results: RuleResult[], write: (line: string) => void): KitReport {
  for (const result of results) write(reportLine(result));
  const count = (outcome: Outcome): number => results.filter((r) => r.outcome === outcome).length;
  const report = { results, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
  write(`${results.length} rules: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  return report;
}
