import { useState } from 'react';
import type { PushwireError } from 'pushwire';
import { type Presence, type PresenceMember, presence as watchPresence } from 'pushwire/sync';
import { usePushwire } from './context.js';
import { useHeldResource } from './use-held-resource.js';

export interface PresenceView {
  /** Everyone present: one member per user (or anonymous session), with its connections' metadata. */
  members: PresenceMember[];
  /** True once the first list is in. */
  ready: boolean;
  error: PushwireError | null;
}

const INITIAL: PresenceView = { members: [], ready: false, error: null };

/**
 * Who is present in `channel`, kept up to date while the component is mounted. With `meta`, this
 * client is present too (joined with that metadata, left on unmount); a different `meta` (compared as
 * JSON) joins again with it. Safe under StrictMode.
 */
export function usePresence(channel: string, meta?: unknown, options: { enabled?: boolean } = {}): PresenceView {
  const client = usePushwire();
  const { enabled = true } = options;
  const [view, setView] = useState<PresenceView>(INITIAL);
  const metaKey = meta === undefined ? undefined : JSON.stringify(meta);

  useHeldResource<Presence>(
    enabled,
    [client, channel, metaKey],
    (live) => {
      setView(INITIAL);
      const presence = watchPresence(client, channel, meta);
      const refresh = (): void => {
        if (live()) setView({ members: presence.list(), ready: presence.ready, error: null });
      };
      for (const event of ['join', 'leave', 'update', 'sync'] as const) presence.on(event, refresh);
      presence.on('error', (error) => live() && setView((previous) => ({ ...previous, error })));
      return presence;
    },
    (presence) => void presence.close().catch(() => {}),
  );

  return enabled ? view : INITIAL;
}
