/** Thrown by a wait that ran out of time; its message says what was awaited and what arrived. */
export class WaitTimeout extends Error {}

/**
 * Waits for a condition on something that changes as data arrives (a peer's frames, an adapter's
 * events): each waiter re-checks its condition whenever `notify()` says something arrived.
 */
export class Waiters {
  private readonly waiting = new Set<() => void>();

  /** Resolves once `condition` holds; rejects with a WaitTimeout saying `what` (and `context()`) after `timeoutMs`. */
  async until(condition: () => boolean, what: string, timeoutMs: number, context: () => string = () => ''): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiting.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}${context()}`));
      }, timeoutMs);
      this.waiting.add(check);
    });
  }

  notify(): void {
    for (const check of [...this.waiting]) check();
  }
}
