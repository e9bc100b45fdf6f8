import { Skip } from '../check.js';
import { type Attempt, type KitReport, mergeAttempts, type RuleResult, summarize } from '../report.js';
import type { Adapter } from './adapter.js';
import { type ClientCheck, clientChecks, type ClientTransport } from './client-checks.js';
import { ScriptServer } from './script-server.js';

export interface ClientKitOptions {
  /** Starts a fresh client behind its adapter (one per check and transport). */
  startAdapter: () => Adapter;
  /** Longest wait for one expected frame or event, ms. Default 5,000. */
  timeoutMs?: number;
  /** Only rules whose id starts with one of these. */
  only?: string[];
  /** Checks run side by side (each with its own server and client). Default 4. */
  concurrency?: number;
  write?: (line: string) => void;
}

/** The transports the scripted server speaks. */
const KIT_TRANSPORTS: ClientTransport[] = ['websocket', 'sse', 'long-polling'];
const CHECK_DEADLINE = 30_000;

/**
 * Runs every client rule the client declares against a scripted server (docs/CONFORMANCE.md): the
 * server side of each check is written frame by frame, the client is driven through its adapter.
 */
export async function runClientKit(options: ClientKitOptions): Promise<KitReport> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const write = options.write ?? (() => {});
  const probe = options.startAdapter();
  const ready = await probe.ready();
  probe.close();
  const transports = ready.transports.filter((name): name is ClientTransport => KIT_TRANSPORTS.includes(name as ClientTransport));
  write(`Pushwire client conformance; the client declares ${ready.implements.join(', ')} on ${ready.transports.join(', ')}`);
  if (transports.length === 0) throw new Error(`the client offers none of the transports the kit speaks (${KIT_TRANSPORTS.join(', ')})`);
  const selected = (id: string): boolean => !options.only || options.only.some((prefix) => id.startsWith(prefix));
  const checks = clientChecks.filter((check) => selected(check.id));
  const outcomes = new Array<Attempt[]>(checks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) {
      const index = next++;
      const check = checks[index]!;
      // A rule's detail (CL3d) is declared with it, or by the rule alone (CL3).
      if (!ready.implements.includes(check.id) && !ready.implements.includes(check.id.replace(/[a-z]$/, ''))) {
        outcomes[index] = [{ transport: transports[0]!, outcome: 'skip', detail: 'the client does not declare this rule' }];
        continue;
      }
      const applicable = transports.filter((name) => !check.on || check.on.includes(name));
      if (applicable.length === 0) {
        outcomes[index] = [{ transport: transports[0]!, outcome: 'skip', detail: `the client has none of ${check.on!.join(', ')}` }];
        continue;
      }
      const on = check.once ? applicable.slice(0, 1) : applicable;
      outcomes[index] = [];
      for (const transport of on)
        outcomes[index].push(await attempt(check, transport, transports, ready.implements, options.startAdapter, timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  const results = new Map<string, RuleResult>();
  checks.forEach((check, index) => mergeAttempts(results, check, outcomes[index]!));
  return summarize([...results.values()], write);
}

async function attempt(
  check: ClientCheck,
  transport: ClientTransport,
  transports: ClientTransport[],
  declared: string[],
  startAdapter: () => Adapter,
  timeoutMs: number,
): Promise<Attempt> {
  const server = new ScriptServer(timeoutMs);
  await server.listen();
  const adapter = startAdapter();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await adapter.ready();
    // The deadline starts once the client is up: a slow start is the runtime's, not the check's.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the check did not finish within ${CHECK_DEADLINE} ms`)), CHECK_DEADLINE);
    });
    await Promise.race([check.run({ server, adapter, transport, transports, declared, timeoutMs }), deadline]);
    return { transport, outcome: 'pass', detail: '' };
  } catch (error) {
    return { transport, outcome: error instanceof Skip ? 'skip' : 'fail', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
    adapter.close();
    await server.close();
  }
}
