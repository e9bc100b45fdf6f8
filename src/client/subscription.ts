import type { Position, SubscribeStatus } from '../protocol/frames.js';
import type { PushwireError } from './errors.js';

export interface MessageInfo {
  channel: string;
  epoch: string;
  seq: number;
}

export interface SubscribedInfo {
  channel: string;
  /** new: first subscription; recovered: every missed message was replayed; reset: a gap could not be filled. */
  status: SubscribeStatus;
  epoch: string;
  /** Messages that follow continue after this sequence number. */
  seq: number;
  /** The channel's last sequence number when the subscription took effect. */
  head: number;
}

export interface SubscriptionHandlers<T = unknown> {
  onMessage?(data: T, info: MessageInfo): void;
  /** Each time the server confirms the subscription: first, and after every resubscribe. */
  onSubscribed?(info: SubscribedInfo): void;
  /** Messages were lost and could not be replayed: reload the state this channel feeds. */
  onReset?(info: SubscribedInfo): void;
  /** The server refused the subscription (e.g. `forbidden`); it is over. */
  onError?(error: PushwireError): void;
}

export interface SubscribeOptions {
  /** Resume from a position saved earlier (e.g. in storage): replay what came after it, or reset. */
  from?: Position;
  /** On a fresh subscription, first replay up to this many recent messages from history. */
  rewind?: number;
}

/** One `subscribe()` call's handle. */
export class Subscription<T = unknown> {
  constructor(
    readonly channel: string,
    readonly handlers: SubscriptionHandlers<T>,
    private readonly leave_: (subscription: Subscription<T>) => Promise<void>,
  ) {}

  /** Stops delivery to these handlers; resolves when the server confirmed (if this was the last one). */
  unsubscribe(): Promise<void> {
    return this.leave_(this);
  }
}
