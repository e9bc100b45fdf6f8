/**
 * The clock both bench processes share: CLOCK_MONOTONIC (what `process.hrtime` reads) is one clock for
 * the whole machine, so a timestamp taken in the server process can be subtracted in the load process.
 * In milliseconds with sub-microsecond resolution.
 */
export function sharedNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
