/**
 * Bookkeeping of one channel in one direction of the chaos run: the counter values that arrived, so
 * that every duplicate, reordering or silent gap is found and named.
 */
export class ChannelLedger {
  /** Highest counter value that arrived. */
  last = 0;
  received = 0;
  /** Arrivals at or below `last`: a duplicate or a reordering. */
  outOfOrder = 0;
  /** Gaps no reset announced; the first few are kept as examples. */
  silentGaps = 0;
  readonly examples: string[] = [];
  /** Messages skipped right after a reset (lost, but explicitly). */
  explainedLoss = 0;
  resets = 0;
  /** Every counter value that arrived (to check afterwards that each acknowledged one did). */
  readonly arrived = new Set<number>();
  private resetPending = false;

  constructor(readonly channel: string) {}

  /** The channel was reset: the next arrival may skip ahead. */
  reset(): void {
    this.resets++;
    this.resetPending = true;
  }

  /**
   * Everything up to `n` is settled: what has not arrived was lost explicitly (its source is gone and
   * the channel has reset), so the next arrival continues after `n`.
   */
  writeOff(n: number): void {
    if (n <= this.last) return;
    this.explainedLoss += n - this.last;
    this.last = n;
    this.resetPending = false;
  }

  arrive(n: number): void {
    if (n <= this.last) {
      this.outOfOrder++;
      if (this.examples.length < 10) this.examples.push(`${this.channel}: ${n} after ${this.last}`);
      return;
    }
    if (n !== this.last + 1) {
      if (this.resetPending) {
        this.explainedLoss += n - this.last - 1;
      } else {
        this.silentGaps++;
        if (this.examples.length < 10) this.examples.push(`${this.channel}: gap ${this.last} -> ${n}`);
      }
    }
    this.resetPending = false;
    this.arrived.add(n);
    this.last = n;
    this.received++;
  }
}

export function sum<T>(items: Iterable<T>, pick: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += pick(item);
  return total;
}
