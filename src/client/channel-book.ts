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

/**
 * The session's channels: one server subscription per channel however many Subscriptions share it,
 * each channel's position (epoch and last sequence number delivered), and gap detection: a message
 * that does not follow the position is never delivered; the channel subscribes again from its
 * position instead, and the server replays what was missed or says `reset`.
 */
export class ChannelBook {
  private readonly channels_ = new Map<string, ChannelState>();

  /** `enqueue_`: queues a frame to the server (sent at once when connected); returns its outbox entry. */
  constructor(private readonly enqueue_: (body: OutboundBody) => OutboxEntry) {}

  /** Adds a subscription; the first of its channel subscribes on the server, a later one hears the last confirmation. */
  add_(subscription: Subscription, options: SubscribeOptions): void {
    let state = this.channels_.get(subscription.channel);
    if (!state) {
      state = { name_: subscription.channel, position_: options.from ?? null, live_: false, subSeq_: 0, rewind_: options.rewind, subscriptions_: new Set() };
      this.channels_.set(state.name_, state);
      this.resubscribe_(state);
    } else if (state.lastInfo_) {
      const info = state.lastInfo_;
      queueMicrotask(() => callSafely(subscription.handlers.onSubscribed, [info]));
    }
    state.subscriptions_.add(subscription);
  }

  /** Removes a subscription. Returns true if it was its channel's last: the caller unsubscribes on the server. */
  remove_(subscription: Subscription): boolean {
    const state = this.channels_.get(subscription.channel);
    if (!state || !state.subscriptions_.delete(subscription) || state.subscriptions_.size > 0) return false;
    return this.channels_.delete(state.name_);
  }

  /** An `m` frame: delivered if it follows the channel's position, dropped if a duplicate, else a resubscribe. */
  message_(frame: MessageFrame): void {
    const state = this.channels_.get(frame.ch);
    if (!state || !state.live_ || !state.position_) return;
    const [epoch, seq] = state.position_;
    if (frame.e === epoch && frame.q <= seq) return; // a duplicate
    if (frame.e !== epoch || frame.q !== seq + 1) {
      // Never skip a gap: ask the server to replay from where we are (or to reset us).
      this.resubscribe_(state);
      return;
    }
    state.position_ = [epoch, frame.q];
    const info: MessageInfo = { channel: frame.ch, epoch, seq: frame.q };
    for (const subscription of state.subscriptions_) callSafely(subscription.handlers.onMessage, [frame.d, info]);
  }

  /** A `subd` frame: the channel is live again from the position it names. */
  subscribed_(frame: SubscribedFrame): void {
    const state = this.channels_.get(frame.ch);
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
  }

  /** The server refused `sub` frame `s` of `channel`: if it is the channel's newest, its subscriptions end with the error. */
  refused_(channel: string, s: number, error: PushwireError): void {
    const state = this.channels_.get(channel);
    if (!state || state.subSeq_ !== s) return;
    this.channels_.delete(channel);
    for (const subscription of state.subscriptions_) callSafely(subscription.handlers.onError, [error]);
  }

  /**
   * A new session: every channel subscribes again from its position, after `leading` (frames that go
   * first) and before what was still waiting in the outbox; a `sub` already waiting keeps its place.
   */
  restart_(outbox: Outbox, leading: OutboundBody[]): void {
    const queued = new Set<string>();
    for (const { body_: body } of outbox.entries_) if (body.t === 'sub') queued.add(body.ch);
    for (const state of this.channels_.values()) {
      state.live_ = false;
      if (!queued.has(state.name_)) leading.push(this.body_(state));
    }
    outbox.restart_(leading, ({ s, body_: body }) => {
      if (body.t === 'unsub') return null;
      if (body.t !== 'sub') return body;
      const state = this.channels_.get(body.ch);
      return state && state.subSeq_ === s ? this.body_(state) : null;
    });
    for (const { s, body_: body } of outbox.entries_) if (body.t === 'sub') this.channels_.get(body.ch)!.subSeq_ = s;
  }

  /** Every channel subscribes again from its position (the session moved to a server node that doesn't know them). */
  resubscribeAll_(): void {
    for (const state of this.channels_.values()) this.resubscribe_(state);
  }

  private body_(state: ChannelState): OutboundBody {
    if (state.position_) return { t: 'sub', ch: state.name_, from: state.position_ };
    return state.rewind_ ? { t: 'sub', ch: state.name_, rewind: state.rewind_ } : { t: 'sub', ch: state.name_ };
  }

  private resubscribe_(state: ChannelState): void {
    state.live_ = false;
    state.subSeq_ = this.enqueue_(this.body_(state)).s;
  }
}
