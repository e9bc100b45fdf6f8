import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SnapshotFrame } from '../../src/protocol/frames.js';
import { jsonEqual } from '../../src/protocol/json-patch.js';
import { PushwireError } from '../../src/client/errors.js';
import type { SubscribedInfo, SubscriptionHandlers } from '../../src/client/subscription.js';
import { type StateChange, SyncedState, type SyncSource } from '../../src/sync/synced-state.js';
import { createPatch } from '../../src/server/state/diff.js';

type Snapshot = Pick<SnapshotFrame, 'e' | 'q' | 'd'>;

interface PendingFetch {
  /** The channel's head when the client asked: the snapshot is at least this new. */
  minSeq: number;
  epoch: string;
  resolve(snapshot: Snapshot): void;
  reject(error: PushwireError): void;
}

/**
 * A model of one channel as the client's subscription layer presents it: messages in sequence order,
 * `subd` with new/recovered/reset after a gap, and snapshot requests answered at a time the test picks.
 * It keeps the server's document as of every sequence number, so each state the client shows can be
 * checked against the server's state at the same position.
 */
class ChannelModel implements SyncSource {
  epochs = 0;
  epoch = 'e0';
  /** docs[q]: the document after message q of the current epoch (docs[0]: before any). */
  docs: unknown[] = [null];
  /** Messages of the current epoch: index q-1 holds message q. */
  messages: unknown[] = [];
  /** Last sequence number the client's subscription received; null while it is cut off. */
  delivered: number | null = null;
  /** Oldest message still in history (anything older can't be replayed). */
  historyStart = 1;
  handlers: SubscriptionHandlers | null = null;
  /** The subscription's position when it was cut off. */
  position: [string, number] = ['', 0];
  fetches: PendingFetch[] = [];

  get head(): number {
    return this.messages.length;
  }

  subscribe(_channel: string, handlers: SubscriptionHandlers): { unsubscribe(): Promise<void> } {
    this.handlers = handlers;
    queueMicrotask(() => this.confirm('new', this.head));
    return { unsubscribe: async () => void (this.handlers = null) };
  }

  fetchState(): Promise<Snapshot> {
    return new Promise((resolve, reject) => this.fetches.push({ minSeq: this.head, epoch: this.epoch, resolve, reject }));
  }

  /** The server changes the document (or publishes a plain message, if doc is undefined). */
  publish(doc: unknown | undefined): void {
    const current = this.docs[this.head];
    const data = doc === undefined ? { chat: 'hello' } : { $patch: createPatch(current, doc) };
    this.messages.push(JSON.parse(JSON.stringify(data)));
    this.docs.push(doc === undefined ? current : doc);
    if (this.delivered !== null) this.deliverUpTo(this.head);
  }

  /** History loses everything before `keep` most recent messages. */
  trim(keep: number): void {
    this.historyStart = Math.max(this.historyStart, this.head - keep + 1);
  }

  /** The store restarted: new epoch, no history, no state. */
  newEpoch(): void {
    this.epoch = `e${++this.epochs}`;
    this.docs = [null];
    this.messages = [];
    this.historyStart = 1;
    if (this.delivered !== null) {
      this.delivered = 0;
      this.confirm('reset', 0);
    }
  }

  /** Frames are lost (connection drop, lossy network): the subscription stops receiving until `reconnect`. */
  cut(): void {
    if (this.delivered === null) return;
    this.position = [this.epoch, this.delivered];
    this.delivered = null;
  }

  /** The client resubscribes from its position: replay if history reaches back, reset otherwise. */
  reconnect(): void {
    if (this.delivered !== null) return;
    const [positionEpoch, position] = this.position;
    if (positionEpoch === this.epoch && position >= this.historyStart - 1 && position <= this.head) {
      this.confirm('recovered', position);
      this.deliverUpTo(this.head);
    } else {
      this.confirm('reset', this.head);
    }
  }

  /** Answers the oldest snapshot request with the state at some point between its request and now. */
  answer(pick: number, fail: boolean): void {
    const fetch = this.fetches.shift();
    if (!fetch) return;
    if (fail) return fetch.reject(new PushwireError('internal', 'broker failure'));
    if (fetch.epoch !== this.epoch) return fetch.resolve({ e: this.epoch, q: this.head, d: this.docs[this.head] });
    const q = fetch.minSeq + Math.floor(pick * (this.head - fetch.minSeq + 1));
    fetch.resolve({ e: this.epoch, q, d: JSON.parse(JSON.stringify(this.docs[q])) });
  }

  private confirm(status: SubscribedInfo['status'], seq: number): void {
    this.delivered = seq;
    this.handlers?.onSubscribed?.({ channel: 'c', status, epoch: this.epoch, seq, head: this.head });
  }

  private deliverUpTo(seq: number): void {
    while (this.delivered !== null && this.delivered < seq) {
      this.delivered++;
      this.handlers?.onMessage?.(this.messages[this.delivered - 1], { channel: 'c', epoch: this.epoch, seq: this.delivered });
    }
  }
}

const doc = fc.dictionary(
  fc.constantFrom('a', 'b', 'c'),
  fc.oneof(fc.integer({ min: 0, max: 3 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.constant({ x: 1 })),
  { maxKeys: 3 },
);

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), doc }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('plain' as const) }) },
  // Appends are not idempotent: applying one twice, or skipping one, shows in the document.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), item: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cut' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), keep: fc.integer({ min: 0, max: 3 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      pick: fc.double({ min: 0, max: 0.999, noNaN: true }),
      fail: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('epoch' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
);

describe('SyncedState', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('every state it shows equals the server state at that position, and it ends equal to the server (property)', async () => {
    vi.useFakeTimers();
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const model = new ChannelModel();
        const synced = new SyncedState<unknown>('c', model);
        const wrong: string[] = [];
        synced.on('change', (change: StateChange<unknown>) => {
          if (change.epoch !== model.epoch) return; // a state of an older epoch, superseded by a reset already queued
          if (!jsonEqual(change.state, model.docs[change.seq])) wrong.push(`${change.type}@${change.seq}`);
        });
        synced.on('error', () => {});
        await Promise.resolve();
        for (const s of steps) {
          switch (s.kind) {
            case 'set':
              model.publish(s.doc);
              break;
            case 'plain':
              model.publish(undefined);
              break;
            case 'append': {
              const current = (model.docs[model.head] ?? {}) as Record<string, unknown>;
              const log = Array.isArray(current.log) ? current.log : [];
              model.publish({ ...current, log: [...log, s.item] });
              break;
            }
            case 'cut':
              model.cut();
              break;
            case 'reconnect':
              model.reconnect();
              break;
            case 'trim':
              model.trim(s.keep);
              break;
            case 'answer':
              model.answer(s.pick, s.fail);
              break;
            case 'epoch':
              model.newEpoch();
              break;
            case 'tick':
              await vi.advanceTimersByTimeAsync(1000);
              break;
          }
          await Promise.resolve();
          await Promise.resolve();
        }
        // Heal: reconnect, answer every request (retries included), until the client is in step.
        model.reconnect();
        for (
          let i = 0;
          i < 20 && (model.fetches.length > 0 || !synced.ready || synced.epoch !== model.epoch || synced.seq !== model.head);
          i++
        ) {
          model.answer(0.5, false);
          await vi.advanceTimersByTimeAsync(1000);
        }
        expect(wrong).toEqual([]);
        expect(synced.ready).toBe(true);
        expect(synced.epoch).toBe(model.epoch);
        expect(synced.seq).toBe(model.head);
        expect(synced.state).toEqual(model.docs[model.head]);
        await synced.close();
      }),
      { numRuns: 1000 },
    );
  });

  it('queues diffs that arrive while the snapshot is on its way and applies only those it does not include', async () => {
    const model = new ChannelModel();
    model.publish({ a: [1] });
    const synced = new SyncedState<Record<string, number[] | number>>('c', model);
    const changes: StateChange<Record<string, number[] | number>>[] = [];
    synced.on('change', (change) => changes.push(change));
    await Promise.resolve();
    model.publish({ a: [1, 2] }); // seq 2: arrives before the snapshot, included in it
    model.publish({ a: [1, 2, 3] }); // seq 3: arrives before the snapshot, not included in it
    model.answer(0.5, false); // snapshot at seq 2 (between 1 and 3)
    await Promise.resolve();
    expect(changes.map((c) => [c.type, c.seq, c.state])).toEqual([['init', 3, { a: [1, 2, 3] }]]);
    model.publish({ a: [1, 2, 3, 4], b: 1 });
    expect(changes.at(-1)).toMatchObject({ type: 'patch', seq: 4, state: { a: [1, 2, 3, 4], b: 1 } });
    expect(changes.at(-1)!.ops).toEqual([
      { op: 'add', path: '/a/-', value: 4 },
      { op: 'add', path: '/b', value: 1 },
    ]);
    expect(Object.isFrozen(synced.state)).toBe(true);
  });

  it('skips replayed diffs that the snapshot already includes', async () => {
    const model = new ChannelModel();
    model.publish({ log: [] });
    const synced = new SyncedState<{ log?: number[] }>('c', model);
    await Promise.resolve(); // subscribed: snapshot requested at head 1
    model.cut();
    model.publish({ log: [1] }); // seq 2 (an append), missed by the subscription
    model.answer(0.999, false); // snapshot taken after seq 2
    await Promise.resolve();
    expect(synced.state).toEqual({ log: [1] });
    model.reconnect(); // replays seq 2
    expect(synced.state).toEqual({ log: [1] });
    expect(synced.seq).toBe(2);
  });

  it('fires exactly one reset when a gap cannot be replayed, with the state already complete', async () => {
    const model = new ChannelModel();
    const synced = new SyncedState<Record<string, number>>('c', model);
    await Promise.resolve();
    model.answer(0, false);
    await Promise.resolve();
    model.cut();
    for (let i = 1; i <= 10; i++) model.publish({ n: i });
    model.trim(2);
    const resets: StateChange<Record<string, number>>[] = [];
    synced.on('reset', (change) => resets.push(change));
    model.reconnect();
    model.publish({ n: 11 }); // arrives while the snapshot is on its way
    model.answer(0, false);
    await Promise.resolve();
    expect(resets).toHaveLength(1);
    expect(resets[0]!.state).toEqual({ n: 11 });
    expect(synced.state).toEqual({ n: 11 });
  });
});
