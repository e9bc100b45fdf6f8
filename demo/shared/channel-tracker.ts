import type { MessageInfo, SubscribedInfo } from './pushwire-module.js';

export interface ChannelRecord {
  channel: string;
  status: SubscribedInfo['status'] | 'subscribing';
  epoch: string;
  /** The last sequence number delivered to the page. */
  seq: number;
  resets: number;
}

export interface InspectorEvent {
  at: number;
  text: string;
  tone: 'info' | 'good' | 'warn';
}

export interface TrackerSnapshot {
  channels: ChannelRecord[];
  events: InspectorEvent[];
  resets: number;
}

const EVENT_LIMIT = 8;

/**
 * What the inspector shows about channels: each one's status and last sequence number, resets, and
 * a short log of notable events. Fed by the pages' own subscription handlers; a store React can read
 * with useSyncExternalStore (a new snapshot object on every change).
 */
export class ChannelTracker {
  private readonly records = new Map<string, ChannelRecord>();
  private events: InspectorEvent[] = [];
  private snapshot: TrackerSnapshot = { channels: [], events: [], resets: 0 };
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): TrackerSnapshot => this.snapshot;

  subscribing(channel: string): void {
    if (!this.records.has(channel)) this.records.set(channel, { channel, status: 'subscribing', epoch: '', seq: 0, resets: 0 });
    this.changed();
  }

  subscribed(info: SubscribedInfo): void {
    const record = this.records.get(info.channel) ?? { channel: info.channel, status: info.status, epoch: '', seq: 0, resets: 0 };
    record.status = info.status;
    record.epoch = info.epoch;
    record.seq = info.seq;
    if (info.status === 'reset') {
      record.resets++;
      this.log(`${info.channel}: reset — history lost, continuing at #${info.seq}`, 'warn');
    } else if (info.status === 'recovered') {
      this.log(`${info.channel}: recovered — nothing missed`, 'good');
    }
    this.records.set(info.channel, record);
    this.changed();
  }

  delivered(info: MessageInfo): void {
    const record = this.records.get(info.channel);
    if (!record) return;
    record.seq = info.seq;
    record.epoch = info.epoch;
    this.changed();
  }

  log(text: string, tone: InspectorEvent['tone'] = 'info'): void {
    this.events = [{ at: Date.now(), text, tone }, ...this.events].slice(0, EVENT_LIMIT);
    this.changed();
  }

  private changed(): void {
    const channels = [...this.records.values()].map((record) => ({ ...record }));
    this.snapshot = { channels, events: this.events, resets: channels.reduce((sum, record) => sum + record.resets, 0) };
    for (const listener of [...this.listeners]) listener();
  }
}
