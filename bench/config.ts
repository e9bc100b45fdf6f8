/** Sizes and bounds of every scenario. `BENCH_QUICK=1` shrinks them for iteration. */
export interface BenchConfig {
  quick: boolean;
  /** `rounds` rounds of `clients` connections each; the fastest round is reported (the machine is shared). */
  connect: { clients: number; concurrency: number; rounds: number };
  memory: { clients: number };
  /**
   * Time to first message: `clients` clients, `concurrency` at a time, the server broadcasting every
   * `tickMs`; `swallowedClients` at once where WebSocket upgrades go unanswered (each waits out its
   * WebSocket connect timeout, so they run in one round).
   */
  firstMessage: { clients: number; concurrency: number; tickMs: number; swallowedClients: number };
  fanout: { clients: number; messages: number; window: number; timeoutMs: number };
  /** Fixed rates, one message per broadcast: latency without queueing, and CPU per delivery where nothing is batched. */
  rates: { perSecond: number; messages: number }[];
  resume: { perSecond: number; messages: number; dropAfterMs: number; timeoutMs: number };
  /** Only these targets (comma-separated ids in BENCH_ONLY), for iteration. */
  only: string[] | null;
  /**
   * Only these scenario groups (BENCH_SCENARIOS=connect,delivery; default both), for iteration; `rate`
   * runs the fixed-rate part of `delivery` alone.
   */
  scenarios: Scenario[];
}

export type Scenario = 'connect' | 'delivery' | 'rate';

export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const only = env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((s) => s.trim()) : null;
  const scenarios = (env.BENCH_SCENARIOS ?? 'connect,delivery')
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is Scenario => s === 'connect' || s === 'delivery' || s === 'rate');
  if (quick) {
    return {
      quick,
      connect: { clients: 100, concurrency: 25, rounds: 3 },
      memory: { clients: 500 },
      firstMessage: { clients: 20, concurrency: 5, tickMs: 5, swallowedClients: 10 },
      fanout: { clients: 200, messages: 200, window: 32, timeoutMs: 30_000 },
      rates: [
        { perSecond: 10, messages: 30 },
        { perSecond: 50, messages: 100 },
      ],
      resume: { perSecond: 20, messages: 50, dropAfterMs: 500, timeoutMs: 20_000 },
      only,
      scenarios,
    };
  }
  return {
    quick,
    connect: { clients: 500, concurrency: 25, rounds: 3 },
    memory: { clients: 2000 },
    firstMessage: { clients: 100, concurrency: 5, tickMs: 5, swallowedClients: 25 },
    // 1,200 messages: every Pushwire client sends receipts within the run (over SSE/long-polling one per 512 frames).
    fanout: { clients: 1000, messages: 1200, window: 32, timeoutMs: 120_000 },
    // 8 s at 10/s and 5 s at 50/s: every Pushwire WebSocket client sends its timed receipts within each.
    rates: [
      { perSecond: 10, messages: 80 },
      { perSecond: 50, messages: 250 },
    ],
    resume: { perSecond: 10, messages: 80, dropAfterMs: 1000, timeoutMs: 40_000 },
    only,
    scenarios,
  };
}

/** File descriptors the biggest scenario needs in each process (sockets plus slack). */
export function neededFileDescriptors(config: BenchConfig): number {
  return Math.max(config.memory.clients, config.fanout.clients, config.connect.clients * config.connect.rounds) + 512;
}
