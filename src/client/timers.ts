import type { Clock } from './clock.js';

/** One-shot timers by name on the session's clock: setting a name again replaces its timer. */
export interface NamedTimers<Name extends string> {
  /** Runs `fn` in `ms` unless cleared or set again first. */
  set_(name: Name, ms: number, fn: () => void): void;
  clear_(name: Name): void;
  /** Clears every timer but `keep`. */
  clearAll_(keep?: Name): void;
  /** True while `name` is set and has not fired. */
  has_(name: Name): boolean;
}

/** Named one-shot timers on `clock` (injectable, so tests drive time). */
export function namedTimers<Name extends string>(clock: Clock): NamedTimers<Name> {
  /** The platform handle of each pending timer. */
  const pending = new Map<Name, unknown>();

  function clear(name: Name): void {
    if (!pending.has(name)) return;
    clock.clearTimeout(pending.get(name));
    pending.delete(name);
  }

  return {
    set_(name, ms, fn) {
      clear(name);
      const handle = clock.setTimeout(() => {
        pending.delete(name);
        fn();
      }, ms);
      pending.set(name, handle);
    },
    clear_: clear,
    clearAll_(keep) {
      for (const name of [...pending.keys()]) if (name !== keep) clear(name);
    },
    has_: (name) => pending.has(name),
  };
}
