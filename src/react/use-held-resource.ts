import { useEffect, useRef } from 'react';

interface Held<R> {
  deps: readonly unknown[];
  resource: R | null;
  releaseTimer?: ReturnType<typeof setTimeout>;
}

const same = (a: readonly unknown[], b: readonly unknown[]): boolean =>
  a.length === b.length && a.every((value, i) => Object.is(value, b[i]));

/**
 * Holds a resource (a subscription, a synced state, a presence) while the component is mounted,
 * `enabled` and `deps` stay the same (`deps` must keep its length). `acquire` gets a function telling
 * whether its resource is still the held one (for callbacks that arrive late).
 *
 * React's StrictMode mounts, unmounts and mounts again at once. Releasing for that moment would start
 * a second, fresh resource (a subscription with `rewind` would replay history twice), so the release
 * is deferred by a task and cancelled if the same deps are acquired again meanwhile.
 */
export function useHeldResource<R>(
  enabled: boolean,
  deps: readonly unknown[],
  acquire: (isCurrent: () => boolean) => R,
  release: (resource: R) => void,
): void {
  const held = useRef<Held<R> | null>(null);

  useEffect(() => {
    if (!enabled) return;
    let entry = held.current;
    if (entry && same(entry.deps, deps) && entry.releaseTimer !== undefined) {
      clearTimeout(entry.releaseTimer);
      entry.releaseTimer = undefined;
    } else {
      if (entry) drop(entry);
      const current: Held<R> = { deps, resource: null };
      entry = current;
      held.current = current;
      current.resource = acquire(() => held.current === current);
    }
    const mine = entry;
    return () => {
      mine.releaseTimer = setTimeout(() => drop(mine), 0);
    };
    // The caller's deps decide when the resource changes; acquire/release are read when it does.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, ...deps]);

  function drop(entry: Held<R>): void {
    clearTimeout(entry.releaseTimer);
    entry.releaseTimer = undefined;
    if (held.current === entry) held.current = null;
    const resource = entry.resource;
    entry.resource = null;
    if (resource !== null) release(resource);
  }
}
