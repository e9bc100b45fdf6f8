import { useEffect, useRef } from 'react';
import type { ClientEvents } from 'pushwire';
import { usePushwire } from './context.js';

/**
 * Listens to one of the client's events (`message` for direct messages from the server, `open`,
 * `reconnecting`, `error`, …) while the component is mounted; the latest handler is always called.
 */
export function useClientEvent<K extends keyof ClientEvents>(event: K, handler: (...args: ClientEvents[K]) => void): void {
  const client = usePushwire();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => client.on(event, (...args: ClientEvents[K]) => latest.current(...args)), [client, event]);
}
