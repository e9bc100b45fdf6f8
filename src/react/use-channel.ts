import { useRef, useState } from 'react';
import type { MessageInfo, PushwireError, SubscribedInfo, Subscription, SubscribeStatus } from 'pushwire';
import { usePushwire } from './context.js';
import { useHeldResource } from './use-held-resource.js';

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

const INITIAL: ChannelView = { status: 'subscribing', info: null, resets: 0, error: null };

/**
 * Subscribes to `channel` while the component is mounted. The latest `onMessage` and option callbacks
 * are always the ones called (they are kept in a ref), so passing inline functions does not resubscribe;
 * changing the channel, `rewind` or `enabled` does. Safe under StrictMode (see useHeldResource).
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
  const [view, setView] = useState<ChannelView>(INITIAL);

  useHeldResource<Subscription | null>(
    enabled,
    [client, channel, rewind],
    (live) => {
      setView(INITIAL);
      try {
        return client.subscribe<T>(
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
        ) as Subscription;
      } catch (error) {
        setView({ ...INITIAL, status: 'error', error: error as PushwireError });
        return null;
      }
    },
    // An unsubscribe fails only when the client closed meanwhile, which ends the subscription anyway.
    (subscription) => void subscription?.unsubscribe().catch(() => {}),
  );

  return enabled ? view : INITIAL;
}
