import { useSyncExternalStore } from 'react';
import { type ConnectionSnapshot, connectionStore } from './connection-store.js';
import { usePushwire } from './context.js';

/**
 * The connection as React state: `state`, `transport`, `sessionId`, `reconnects`, `newSessions` and
 * `resumed`. Re-renders only when one of them changes.
 */
export function useConnection(): ConnectionSnapshot {
  const store = connectionStore(usePushwire());
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
