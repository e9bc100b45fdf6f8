import type { Position, SubscribeStatus } from '../protocol/frames.js';
import type { Broker, BrokerMessage } from './broker/broker.js';
import type { Logger } from './logger.js';
import { Counters } from './metrics.js';
import { OutFrame } from './out-frame.js';
import { messageFrame, messageFramePrefix, messageFrameText, subscribedFrame } from './frames.js';

interface PendingFrame {
  frame: OutFrame;
  epoch: string;
  seq: number;
}

/** Who receives a channel's frames: a session, or a channel stream (transports/channel-stream.ts). */
export interface Subscriber {
  /** Its subscriptions by channel; the registry keeps it. */
  readonly subscriptions: Map<string, SessionSubscription>;
  /** Delivers a reliable frame, in order. */
  enqueue(frame: OutFrame): void;
  /** Whether a replay of `frames` frames and `bytes` bytes leaves it room for live traffic. */
  fitsReplay(frames: number, bytes: number): boolean;
}

/** One subscriber's subscription to one channel. */
export class SessionSubscription {
  /** Live frames held back while the subscription replays history; null once it is live. */
  pending: PendingFrame[] | null = [];
  removed = false;

  constructor(
    readonly session: Subscriber,
    readonly hub: ChannelHub,
  ) {}

  push(frame: OutFrame, epoch: string, seq: number): void {
    if (this.pending) this.pending.push({ frame, epoch, seq });
    else this.session.enqueue(frame);
  }
}

/**
 * A message frame of a channel's current epoch. While some session holds it, its hub finds it by
 * sequence number, so a replay to many sessions (a `rewind`, a recovery) shares one frame: one text
 * in memory, counted once by the memory budget, instead of a copy per session.
 */
class ChannelFrame extends OutFrame {
  constructor(
    private readonly hub: ChannelHub,
    readonly epoch: string,
    readonly seq: number,
    text: string,
  ) {
    super(text, true);
  }

  override retained(): void {
    this.hub.share(this);
  }

  override released(): void {
    this.hub.unshare(this);
  }
}

/**
 * A channel as seen by this server node: one broker subscription shared by all local subscribers,
 * delivery in sequence order, gap repair from history, and one serialized frame per message for
 * every subscriber.
 */
export class ChannelHub {
  epoch = '';
  head = 0;
  refs = 0;
  readonly subscribers = new Set<SessionSubscription>();
  readonly ready: Promise<void>;
  /** Broker messages held while the hub starts or repairs a gap; null when messages flow straight through. */
  private held: BrokerMessage[] | null = [];
  private stopBroker: (() => Promise<void>) | undefined;
  private prefix = '';
  private stopped = false;
  /** Frames of the current epoch that sessions hold, by sequence number (see ChannelFrame). */
  private readonly shared = new Map<number, ChannelFrame>();

  constructor(
    readonly channel: string,
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly counters: Counters,
  ) {
    this.ready = this.start();
  }

  /** The `m` frame of a broker message: the one sessions already hold, if any, else a new one. */
  frame(message: BrokerMessage): OutFrame {
    if (message.epoch !== this.epoch) return messageFrame(messageFramePrefix(this.channel, message.epoch), message.seq, message.json);
    return (
      this.shared.get(message.seq) ??
      new ChannelFrame(this, this.epoch, message.seq, messageFrameText(this.prefix, message.seq, message.json))
    );
  }

  share(frame: ChannelFrame): void {
    if (frame.epoch === this.epoch) this.shared.set(frame.seq, frame);
  }

  unshare(frame: ChannelFrame): void {
    if (this.shared.get(frame.seq) === frame) this.shared.delete(frame.seq);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.ready.catch(() => {});
    await this.stopBroker?.();
  }

  private async start(): Promise<void> {
    this.stopBroker = await this.broker.subscribe(this.channel, (message) => this.onBrokerMessage(message));
    const { epoch, head } = await this.broker.history(this.channel, {});
    this.setEpoch(epoch, head);
    this.release();
  }

  private onBrokerMessage(message: BrokerMessage): void {
    if (this.stopped) return;
    if (this.held) this.held.push(message);
    else this.accept(message);
  }

  /** Lets held messages through, in order, until one of them starts a gap repair (which holds the rest). */
  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (let i = 0; i < held.length; i++) {
      this.accept(held[i]!);
      if (this.held) {
        (this.held as BrokerMessage[]).push(...held.slice(i + 1));
        return;
      }
    }
  }

  private accept(message: BrokerMessage): void {
    if (message.epoch !== this.epoch) {
      void this.changeEpoch(message);
      return;
    } else if (message.seq <= this.head) {
      return; // already delivered
    } else if (message.seq > this.head + 1) {
      void this.repair(message);
      return;
    }
    this.deliver(message);
  }

  private deliver(message: BrokerMessage): void {
    this.head = message.seq;
    const frame = this.frame(message);
    for (const sub of this.subscribers) sub.push(frame, message.epoch, message.seq);
  }

  /** Fills a gap in the broker's live stream from its history; if it can't, subscribers reset explicitly. */
  private async repair(first: BrokerMessage): Promise<void> {
    this.held = [first];
    try {
      const result = await this.broker.history(this.channel, { after: [this.epoch, this.head] });
      if (result.ok && result.epoch === this.epoch) {
        for (const message of result.messages) if (message.seq > this.head) this.deliver(message);
      } else {
        this.logger.warn('channel gap could not be repaired; subscribers reset', { channel: this.channel });
        this.resetAll(first.epoch, first.seq - 1);
      }
    } catch (error) {
      this.logger.error('channel gap repair failed; subscribers reset', { channel: this.channel, error: String(error) });
      this.resetAll(first.epoch, first.seq - 1);
    }
    this.release();
  }

  /**
   * The channel's history was lost (e.g. the store restarted) and `first` is of its new epoch: everyone
   * resets to the start of the new epoch and gets what its history holds, so messages published (and
   * acknowledged) before `first` reached this node are not skipped. If the new epoch's history no
   * longer reaches back to its start, they reset to just before `first`.
   */
  private async changeEpoch(first: BrokerMessage): Promise<void> {
    this.held = [first];
    let replay: BrokerMessage[] = [];
    try {
      const result = await this.broker.history(this.channel, { after: [first.epoch, 0] });
      if (result.ok && result.epoch === first.epoch) replay = result.messages;
    } catch (error) {
      this.logger.warn('reading a new epoch’s history failed; subscribers reset to the live stream', {
        channel: this.channel,
        error: String(error),
      });
    }
    if (replay.length > 0) {
      this.resetAll(first.epoch, 0);
      for (const message of replay) this.deliver(message);
    } else {
      this.resetAll(first.epoch, first.seq - 1);
    }
    this.release();
  }

  private resetAll(epoch: string, seq: number): void {
    this.setEpoch(epoch, seq);
    const frame = subscribedFrame(this.channel, epoch, seq, seq, 'reset');
    this.counters.resets += this.subscribers.size;
    // A reset must pass any pending filter, hence the infinite sequence number.
    for (const sub of this.subscribers) sub.push(frame, epoch, Number.POSITIVE_INFINITY);
  }

  private setEpoch(epoch: string, head: number): void {
    if (epoch !== this.epoch) this.shared.clear();
    this.epoch = epoch;
    this.head = head;
    this.prefix = messageFramePrefix(this.channel, epoch);
  }
}

/** The channels this node serves: hubs created on first subscriber and stopped after the last. */
export class ChannelRegistry {
  private readonly hubs = new Map<string, ChannelHub>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly counters: Counters = new Counters(),
  ) {}

  get size(): number {
    return this.hubs.size;
  }

  /**
   * Subscribes a session to a channel, replacing any subscription it had to it. With `from`, replays
   * everything after that position from history, or resets if history can't provide it; live messages
   * that arrive meanwhile are held and sent after the replay, so none falls in between. `s` is the
   * client's `sub` frame, named in the answer.
   */
  async subscribe(session: Subscriber, channel: string, from?: Position, rewind?: number, s?: number): Promise<void> {
    const previous = session.subscriptions.get(channel);
    const hub = this.acquire(channel);
    if (previous) this.remove(previous);
    const sub = new SessionSubscription(session, hub);
    session.subscriptions.set(channel, sub);
    try {
      await hub.ready;
    } catch (error) {
      this.remove(sub);
      throw error;
    }
    if (session.subscriptions.get(channel) !== sub) return; // unsubscribed or replaced meanwhile
    hub.subscribers.add(sub);

    const { epoch, head } = hub;
    let status: SubscribeStatus = 'new';
    let position = head;
    let replay: BrokerMessage[] = [];
    if (from) {
      status = 'recovered';
      if (from[0] !== epoch || from[1] !== head) {
        const history = await this.broker.history(channel, { after: from });
        if (history.ok && history.epoch === epoch) {
          position = from[1];
          replay = history.messages;
        } else {
          status = 'reset';
          // A new epoch whose history is still whole: the client loses what came before it, but gets
          // everything since, instead of only what comes next.
          const epochStart = from[0] === epoch ? undefined : await this.broker.history(channel, { after: [epoch, 0] });
          if (epochStart?.ok && epochStart.epoch === epoch) {
            position = 0;
            replay = epochStart.messages;
          }
        }
      }
    } else if (rewind && rewind > 0) {
      const history = await this.broker.history(channel, { last: rewind });
      if (history.ok && history.epoch === epoch && history.messages.length > 0) {
        replay = history.messages;
        position = replay[0]!.seq - 1;
      }
    }
    if (session.subscriptions.get(channel) !== sub) return;

    replay = replay.filter((message) => message.seq <= head);
    let frames = replay.map((message) => hub.frame(message));
    // A replay that would crowd the session's outbound buffer would get the session evicted, and the
    // client would come back and ask for the same replay again, forever (seen in the chaos suite with
    // several busy channels). Past half the buffer a recovery resets instead; a rewind or a reset
    // replays only the most recent messages that fit.
    const fits = (list: OutFrame[]): boolean =>
      session.fitsReplay(
        list.length,
        list.reduce((sum, frame) => sum + frame.bytes, 0),
      );
    if (!fits(frames)) {
      if (status === 'recovered') {
        status = 'reset';
        position = head;
        frames = [];
      } else {
        while (frames.length > 0 && !fits(frames)) frames = frames.slice(Math.ceil(frames.length / 2));
        position = frames.length > 0 ? replay[replay.length - frames.length]!.seq - 1 : head;
      }
    }
    if (status === 'reset') this.counters.resets++;
    session.enqueue(subscribedFrame(channel, epoch, position, head, status, s));
    for (const frame of frames) session.enqueue(frame);
    const upTo = Math.max(head, position);
    const pending = sub.pending ?? [];
    sub.pending = null;
    for (const held of pending) if (held.epoch !== epoch || held.seq > upTo) session.enqueue(held.frame);
  }

  unsubscribe(session: Subscriber, channel: string): void {
    const sub = session.subscriptions.get(channel);
    if (sub) this.remove(sub);
  }

  unsubscribeAll(session: Subscriber): void {
    for (const sub of [...session.subscriptions.values()]) this.remove(sub);
  }

  async close(): Promise<void> {
    const hubs = [...this.hubs.values()];
    this.hubs.clear();
    await Promise.all(hubs.map((hub) => hub.stop()));
  }

  private acquire(channel: string): ChannelHub {
    let hub = this.hubs.get(channel);
    if (!hub) {
      hub = new ChannelHub(channel, this.broker, this.logger, this.counters);
      hub.ready.catch((error: unknown) => {
        this.logger.error('broker subscribe failed', { channel, error: String(error) });
        if (this.hubs.get(channel) === hub) this.hubs.delete(channel);
      });
      this.hubs.set(channel, hub);
    }
    hub.refs++;
    return hub;
  }

  private remove(sub: SessionSubscription): void {
    if (sub.removed) return;
    sub.removed = true;
    const { session, hub } = sub;
    if (session.subscriptions.get(hub.channel) === sub) session.subscriptions.delete(hub.channel);
    hub.subscribers.delete(sub);
    if (--hub.refs === 0 && this.hubs.get(hub.channel) === hub) {
      this.hubs.delete(hub.channel);
      void hub.stop();
    }
  }
}
