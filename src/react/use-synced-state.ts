import { useState } from 'react';
import type { PushwireError } from 'pushwire';
import { type StateChange, type SyncedState, syncedState } from 'pushwire/sync';
import { usePushwire } from './context.js';
import { useHeldResource } from './use-held-resource.js';

export interface SyncedStateView<T> {
  /** The document, read-only (frozen); null until the first snapshot, or when the channel has no state. */
  state: T | null;
  /** True once the first snapshot is in. */
  ready: boolean;
  /** The latest change: what it was (init, patch, reset) and which JSON Patch operations made it. */
  change: StateChange<T> | null;
  /** Times the state had to be replaced by a fresh snapshot (a gap that could not be replayed). */
  resets: number;
  error: PushwireError | null;
}

const INITIAL: SyncedStateView<never> = { state: null, ready: false, change: null, resets: 0, error: null };

/**
 * Follows a synced state channel while the component is mounted (`syncedState(client, channel)` from `pushwire/sync`): renders
 * with each consistent state — never a half-applied one — and counts resets. Safe under StrictMode.
 */
export function useSyncedState<T = unknown>(channel: string, options: { enabled?: boolean } = {}): SyncedStateView<T> {
  const client = usePushwire();
  const { enabled = true } = options;
  const [view, setView] = useState<SyncedStateView<T>>(INITIAL);

  useHeldResource<SyncedState<T>>(
    enabled,
    [client, channel],
    (live) => {
      setView(INITIAL);
      const synced = syncedState<T>(client, channel);
      synced.on('change', (change) => {
        if (!live()) return;
        setView((previous) => ({
          state: change.state,
          ready: true,
          change,
          resets: previous.resets + (change.type === 'reset' ? 1 : 0),
          error: null,
        }));
      });
      synced.on('error', (error) => live() && setView((previous) => ({ ...previous, error })));
      return synced;
    },
    (synced) => void synced.close().catch(() => {}),
  );

  return enabled ? view : INITIAL;
}
