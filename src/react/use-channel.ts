import { useEffect, useRef, useState } from 'react';
import type { MessageInfo, PushwireClient, PushwireError, SubscribedInfo, Subscription, SubscribeStatus } from 'pushwire';
import { usePushwire } from './context.js';

/** `subscribing` until the server first confirms; then the latest confirmation's status; `error` if refused. */
export type ChannelStatus = 'subscribing' | SubscribeStatus | 'error';

export interface UseChannelOptions {
  /** On a fresh subscription, first replay up to this many recent messages from history. */
  rewind?: number;
  /** false: stay unsubscribed (e.g. until the user picked a name). Default true. */
  enabled?: boolean;
  /** Each confirmation by the server: first, and after every resubscribe. */
  onSubscribed?(info: SubscribedInfo): void;
  /** Messages were lost and could not be replayed: reload what this channel feeds. */
  onReset?(info: SubscribedInfo): void;
}

export interface ChannelView {
  status: ChannelStatus;
  /** The latest confirmation (epoch, sequence number, head); null before the first. */
  info: SubscribedInfo | null;
  /** Confirmations with status `reset` since this component subscribed. */
  resets: number;
  /** Why the server refused the subscription (status `error`). */
  error: PushwireError | null;
}

interface Held {
  client: PushwireClient;
  key: string;
  subscription: Subscription | null;
  releaseTimer?: ReturnType<typeof setTimeout>;
}

const INITIAL: ChannelView = { status: 'subscribing', info: null, resets: 0, error: null };

/**
 * Subscribes to `channel` while the component is mounted. The latest `onMessage` and option callbacks
 * are always the ones called (they are kept in a ref), so passing inline functions does not resubscribe;
 * changing the channel, `rewind` or `enabled` does.
 *
 * React's StrictMode mounts, unmounts and mounts again at once. Unsubscribing for that moment would
 * start a second, fresh subscription (and with `rewind`, replay history twice), so the release is
 * deferred by a task and cancelled if the same hook subscribes again to the same channel meanwhile.
 */
export function useChannel<T = unknown>(
  channel: string,
  onMessage?: (data: T, info: MessageInfo) => void,
  options: UseChannelOptions = {},
): ChannelView {
  const client = usePushwire();
  const { rewind, enabled = true } = options;
  const callbacks = useRef({ onMessage, options });
  callbacks.current = { onMessage, options };
  const held = useRef<Held | null>(null);
  const [view, setView] = useState<ChannelView>(INITIAL);

  useEffect(() => {
    if (!enabled) return;
    const key = `${channel}\u0000${rewind ?? ''}`;
    let entry = held.current;
    if (entry && entry.client === client && entry.key === key && entry.releaseTimer !== undefined) {
      clearTimeout(entry.releaseTimer);
      entry.releaseTimer = undefined;
    } else {
      if (entry) release(entry);
      const current: Held = (entry = { client, key, subscription: null });
      held.current = current;
      const live = (): boolean => held.current === current;
      setView(INITIAL);
      try {
        current.subscription = client.subscribe<T>(
          channel,
          {
            onMessage: (data, info) => {
              if (live()) callbacks.current.onMessage?.(data, info);
            },
            onSubscribed: (info) => {
              if (!live()) return;
              setView((previous) => ({
                status: info.status,
                info,
                resets: previous.resets + (info.status === 'reset' ? 1 : 0),
                error: null,
              }));
              callbacks.current.options.onSubscribed?.(info);
              if (info.status === 'reset') callbacks.current.options.onReset?.(info);
            },
            onError: (error) => {
              if (live()) setView((previous) => ({ ...previous, status: 'error', error }));
            },
          },
          rewind === undefined ? {} : { rewind },
        );
      } catch (error) {
        setView({ ...INITIAL, status: 'error', error: error as PushwireError });
      }
    }
    const mine = entry;
    return () => {
      mine.releaseTimer = setTimeout(() => release(mine), 0);
    };
  }, [client, channel, rewind, enabled]);

  function release(entry: Held): void {
    clearTimeout(entry.releaseTimer);
    entry.releaseTimer = undefined;
    if (held.current === entry) held.current = null;
    const subscription = entry.subscription;
    entry.subscription = null;
    // An unsubscribe fails only when the client closed meanwhile, which ends the subscription anyway.
    subscription?.unsubscribe().catch(() => {});
  }

  return enabled ? view : INITIAL;
}
