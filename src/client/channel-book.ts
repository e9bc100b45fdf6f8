import type { MessageFrame, Position, SubscribedFrame } from '../protocol/frames.js';
import { callSafely } from './emitter.js';
import type { PushwireError } from './errors.js';
import type { Outbox, OutboundBody, OutboxEntry } from './outbox.js';
import type { MessageInfo, SubscribedInfo, SubscribeOptions, Subscription } from './subscription.js';

/** The client's view of one channel, shared by every Subscription to it. */
interface ChannelState {
  name_: string;
  /** Where delivery stands: [epoch, last sequence number delivered]; null until the first confirmation. */
  position_: Position | null;
  /** False between a (re)subscribe and its confirmation: `m` frames are ignored meanwhile. */
  live_: boolean;
  /** Sequence number of the newest `sub` frame for this channel. */
  subSeq_: number;
  rewind_?: number | undefined;
  subscriptions_: Set<Subscription>;
  lastInfo_?: SubscribedInfo;
}

export interface ChannelBook {
  /** Adds a subscription; the first of its channel subscribes on the server, a later one hears the last confirmation. */
  add_(subscription: Subscription, options: SubscribeOptions): void;
  /** Removes a subscription. Returns true if it was its channel's last: the caller unsubscribes on the server. */
  remove_(subscription: Subscription): boolean;
  /** An `m` frame: delivered if it follows the channel's position, dropped if a duplicate, else a resubscribe. */
  message_(frame: MessageFrame): void;
  /** A `subd` frame: the channel is live again from the position it names. */
  subscribed_(frame: SubscribedFrame): void;
  /** The server refused `sub` frame `s` of `channel`: if it is the channel's newest, its subscriptions end with the error. */
  refused_(channel: string, s: number, error: PushwireError): void;
  /**
   * A new session: every channel subscribes again from its position, after `leading` (frames that go
   * first) and before what was still waiting in the outbox; a `sub` already waiting keeps its place.
   */
  restart_(outbox: Outbox, leading: OutboundBody[]): void;
  /** Every channel subscribes again from its position (the session moved to a server node that doesn't know them). */
  resubscribeAll_(): void;
  /** Remembers that this client joined `channel`'s presence with `meta` (joined again with every new session). */
  join_(channel: string, meta: unknown): void;
  /** Forgets a presence join; false if there was none. */
  leave_(channel: string): boolean;
  /** The `join` frames that make every presence join again (a new session, or one moved to another node). */
  joins_(): OutboundBody[];
}

/**
 * The session's channels: one server subscription per channel however many Subscriptions share it,
 * each channel's position (epoch and last sequence number delivered), and gap detection: a message
 * that does not follow the position is never delivered; the channel subscribes again from its
 * position instead, and the server replays what was missed or says `reset`. `enqueue` queues a frame
 * to the server (sent at once when connected) and returns its outbox entry.
 */
export function channelBook(enqueue: (body: OutboundBody) => OutboxEntry): ChannelBook {
  const channels = new Map<string, ChannelState>();
  /** Presence this client joined, by channel: joined again with a new session. */
  const joined = new Map<string, unknown>();

  // From the position once there is one, else with the rewind asked for, if any (undefined fields are
  // left out of the frame by JSON.stringify).
  const body = ({ name_: ch, position_: from, rewind_: rewind }: ChannelState): OutboundBody =>
    from ? { t: 'sub', ch, from } : { t: 'sub', ch, rewind: rewind || undefined };

  const resubscribe = (state: ChannelState): void => {
    state.live_ = false;
    state.subSeq_ = enqueue(body(state)).s;
  };

  return {
    add_(subscription, options) {
      let state = channels.get(subscription.channel);
      if (!state) {
        state = {
          name_: subscription.channel,
          position_: options.from ?? null,
          live_: false,
          subSeq_: 0,
          rewind_: options.rewind,
          subscriptions_: new Set(),
        };
        channels.set(state.name_, state);
        resubscribe(state);
      } else if (state.lastInfo_) {
        const info = state.lastInfo_;
        queueMicrotask(() => callSafely(subscription.handlers.onSubscribed, [info]));
      }
      state.subscriptions_.add(subscription);
    },

    remove_(subscription) {
      const state = channels.get(subscription.channel);
      if (!state || !state.subscriptions_.delete(subscription) || state.subscriptions_.size > 0) return false;
      return channels.delete(state.name_);
    },

    message_(frame) {
      const state = channels.get(frame.ch);
      if (!state || !state.live_ || !state.position_) return;
      const [epoch, seq] = state.position_;
      if (frame.e === epoch && frame.q <= seq) return; // a duplicate
      // Never skip a gap: ask the server to replay from where we are (or to reset us).
      if (frame.e !== epoch || frame.q !== seq + 1) return resubscribe(state);
      state.position_ = [epoch, frame.q];
      const info: MessageInfo = { channel: frame.ch, epoch, seq: frame.q };
      for (const subscription of state.subscriptions_) callSafely(subscription.handlers.onMessage, [frame.d, info]);
    },

    subscribed_(frame) {
      const state = channels.get(frame.ch);
      // An answer to an older `sub` of this channel (unsubscribed and subscribed again since) is stale:
      // its replay must not reach the new subscription.
      if (!state || (frame.s !== undefined && frame.s !== state.subSeq_)) return;
      state.position_ = [frame.e, frame.q];
      state.live_ = true;
      const info: SubscribedInfo = { channel: frame.ch, status: frame.st, epoch: frame.e, seq: frame.q, head: frame.h };
      state.lastInfo_ = info;
      for (const subscription of state.subscriptions_) {
        callSafely(subscription.handlers.onSubscribed, [info]);
        if (frame.st === 'reset') callSafely(subscription.handlers.onReset, [info]);
      }
    },

    refused_(channel, s, error) {
      const state = channels.get(channel);
      if (!state || state.subSeq_ !== s) return;
      channels.delete(channel);
      for (const subscription of state.subscriptions_) callSafely(subscription.handlers.onError, [error]);
    },

    restart_(outbox, leading) {
      const queued = new Set<string>();
      for (const { body_: queuedBody } of outbox.entries_) if (queuedBody.t === 'sub') queued.add(queuedBody.ch);
      for (const state of channels.values()) {
        state.live_ = false;
        if (!queued.has(state.name_)) leading.push(body(state));
      }
      outbox.restart_(leading, ({ s, body_: waiting }) => {
        if (waiting.t === 'unsub') return null;
        if (waiting.t !== 'sub') return waiting;
        const state = channels.get(waiting.ch);
        return state && state.subSeq_ === s ? body(state) : null;
      });
      for (const { s, body_: waiting } of outbox.entries_) if (waiting.t === 'sub') channels.get(waiting.ch)!.subSeq_ = s;
    },

    resubscribeAll_() {
      for (const state of channels.values()) resubscribe(state);
    },

    join_(channel, meta) {
      joined.set(channel, meta);
    },

    leave_: (channel) => joined.delete(channel),

    joins_: () => [...joined].map(([ch, meta]): OutboundBody => ({ t: 'join', ch, meta })),
  };
}
