import { CheckRun, type KitContext, type ServerCheck, Skip } from './check.js';
import { Control } from './control.js';
import type { TransportName } from './peer.js';
import { type Attempt, type KitReport, mergeAttempts, type RuleResult, summarize } from './report.js';
import { applicationChecks } from './server-checks/application.js';
import { eventStreamChecks } from './server-checks/events.js';
import { handshakeChecks } from './server-checks/handshake.js';
import { basicChecks, DOCUMENTED_CLOSE_CODES, unreachableChecks } from './server-checks/not-reachable.js';
import { sequencingChecks } from './server-checks/sequencing.js';
import { serverFrameChecks } from './server-checks/server-frames.js';
import { transportChecks } from './server-checks/transports.js';

export interface ServerKitOptions {
  /** Base URL of the endpoints, e.g. http://127.0.0.1:3000/pushwire */
  url: string;
  /** Longest wait for one expected frame, ms. Default 5,000. */
  timeoutMs?: number;
  /** Only rules whose id starts with one of these (e.g. ['HS', 'SQ1']). */
  only?: string[];
  /** Checks run side by side (each with its own sessions and channels). Default 6. */
  concurrency?: number;
  /** Where report lines go. Default: nowhere (read the results). */
  write?: (line: string) => void;
}

export type ServerKitReport = KitReport;

const ALL_TRANSPORTS: TransportName[] = ['websocket', 'sse', 'long-polling'];
/** Longest one check may take on one transport (heartbeat checks wait a few heartbeats). */
const CHECK_DEADLINE = 60_000;

/** Every server check, in report order. CC2 last: it judges the close codes all the others saw. */
export function serverChecks(): ServerCheck[] {
  return [
    ...basicChecks,
    ...handshakeChecks,
    ...sequencingChecks,
    ...serverFrameChecks,
    ...transportChecks,
    ...eventStreamChecks,
    ...applicationChecks,
    ...unreachableChecks,
  ];
}

/**
 * Runs every server rule against the server at `url` (docs/CONFORMANCE.md): raw WebSocket and raw HTTP
 * peers, one check after another, each on every transport the server offers.
 */
export async function runServerKit(options: ServerKitOptions): Promise<ServerKitReport> {
  const url = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5_000;
  const write = options.write ?? (() => {});
  const control = new Control(url, timeoutMs);
  const config = await control.config();
  const offered = await offeredTransports(url, timeoutMs, config?.transports);
  if (offered.length === 0) throw new Error(`no Pushwire server answers at ${url} (no transport gave a welcome)`);
  const kit: KitContext = { url, timeoutMs, control: config ? control : null, config, offered: offered };
  write(`Pushwire server conformance: ${url}`);
  write(`transports: ${offered.join(', ')}; test mode: ${config ? 'yes' : 'no (rules that need it are skipped)'}`);
  const closes: number[] = [];
  const results = new Map<string, RuleResult>();
  const checks = serverChecks().filter((check) => !options.only || options.only.some((prefix) => check.id.startsWith(prefix)));
  // Results are merged in list order whatever order the checks finish in.
  const outcomes = new Array<Attempt[]>(checks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) {
      const index = next++;
      outcomes[index] = await runCheck(checks[index]!, kit, closes);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 6) }, worker));
  checks.forEach((check, index) => mergeAttempts(results, check, outcomes[index]!));
  if (!options.only || options.only.some((prefix) => 'CC2'.startsWith(prefix))) {
    const undocumented = [...new Set(closes)].filter((code) => !DOCUMENTED_CLOSE_CODES.has(code));
    results.set('CC2', {
      id: 'CC2',
      title: 'the server closes only with the documented codes',
      outcome: undocumented.length === 0 ? 'pass' : 'fail',
      passedOn: undocumented.length === 0 ? offered : [],
      details: undocumented.length === 0 ? [] : [`undocumented close codes seen: ${undocumented.join(', ')}`],
    });
  }
  return summarize([...results.values()], write);
}

async function runCheck(check: ServerCheck, kit: KitContext, closes: number[]): Promise<Attempt[]> {
  if (check.control && !kit.control)
    return [{ transport: kit.offered[0]!, outcome: 'skip', detail: "needs the server's test mode (docs/PROTOCOL.md, section 15)" }];
  const transports = scopeTransports(check, kit.offered);
  if (transports.length === 0) return [{ transport: kit.offered[0]!, outcome: 'skip', detail: `the server does not offer ${check.scope}` }];
  // The transports of one check run side by side: heartbeat checks then wait once, not three times.
  return Promise.all(transports.map((transport) => attempt(check, new CheckRun(kit, transport), closes)));
}

async function attempt(check: ServerCheck, run: CheckRun, closes: number[]): Promise<Attempt> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the check did not finish within ${CHECK_DEADLINE} ms`)), CHECK_DEADLINE);
  });
  try {
    await Promise.race([check.run(run), deadline]);
    return { transport: run.transport, outcome: 'pass', detail: '' };
  } catch (error) {
    const skipped = error instanceof Skip;
    return { transport: run.transport, outcome: skipped ? 'skip' : 'fail', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
    closes.push(...(await run.end()));
  }
}

function scopeTransports(check: ServerCheck, offered: TransportName[]): TransportName[] {
  switch (check.scope) {
    case 'each':
      return offered;
    case 'once':
      return offered.slice(0, 1);
    case 'http':
      return offered.filter((name) => name !== 'websocket');
    default:
      return offered.filter((name) => name === check.scope);
  }
}

/** The transports to check: the server's test-mode config, else what answers a hello. */
async function offeredTransports(url: string, timeoutMs: number, configured: string[] | undefined): Promise<TransportName[]> {
  if (configured) return ALL_TRANSPORTS.filter((name) => configured.includes(name));
  const found: TransportName[] = [];
  for (const transport of ALL_TRANSPORTS) {
    const probe = new CheckRun({ url, timeoutMs, control: null, config: null, offered: [] }, transport);
    try {
      await probe.handshake();
      found.push(transport);
    } catch {
      // not offered
    } finally {
      await probe.end();
    }
  }
  return found;
}
