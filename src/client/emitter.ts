type Listener<A extends unknown[]> = (...args: A) => void;

/** A minimal typed event emitter. */
export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private listeners_: { [K in keyof Events]?: Set<Listener<Events[K]>> } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let listeners = this.listeners_[event];
    if (!listeners) {
      listeners = new Set();
      this.listeners_[event] = listeners;
    }
    listeners.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners_[event]?.delete(listener);
  }

  protected emit_<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners_[event] ?? [])]) callSafely(listener, args);
  }
}

/** Runs application code; if it throws, the error is reported asynchronously instead of breaking the SDK's state. */
export function callSafely<A extends unknown[]>(fn: ((...args: A) => void) | undefined, args: A): void {
  try {
    fn?.(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}
