import type { SnapshotFrame } from '../protocol/frames.js';
import { applyPatch, type WireOperation } from '../protocol/json-patch.js';
import { isStatePatchMessage } from '../protocol/state-message.js';
import { Emitter } from './emitter.js';
import type { PushwireError } from './errors.js';
import type { MessageInfo, SubscribedInfo, SubscriptionHandlers } from './subscription.js';

export interface StateChange<T> {
  /** init: the first snapshot; patch: one diff applied; reset: a gap could not be replayed, so the state was replaced by a fresh snapshot. */
  type: 'init' | 'patch' | 'reset';
  /** What changed: the diff's JSON Patch operations, or for init/reset one `replace` of the whole document. */
  ops: WireOperation[];
  state: T | null;
  previous: T | null;
  epoch: string;
  seq: number;
}

export type SyncedStateEvents<T> = {
  change: [change: StateChange<T>];
  /** Fired after the `change` of type reset. */
  reset: [change: StateChange<T>];
  /** In step with the server again after a (re)subscription: after the snapshot, or after the replay of what was missed. */
  synced: [state: T | null];
  error: [error: PushwireError];
};

/** What a SyncedState needs from the client (PushwireClient implements it). */
export interface SyncSource {
  subscribe(channel: string, handlers: SubscriptionHandlers): { unsubscribe(): Promise<void> };
  fetchState(channel: string): Promise<Pick<SnapshotFrame, 'e' | 'q' | 'd'>>;
}

interface Queued {
  data: unknown;
  epoch: string;
  seq: number;
}

/** Diffs held while a snapshot is on its way; past this many the snapshot is fetched again (a newer one covers them). */
const MAX_QUEUED = 10_000;
const RETRY_DELAY = 1000;

/** Freezes a document; stops at frozen subtrees, so after a patch only the new parts are walked. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A channel's state document, kept in step with the server: one snapshot, then each diff in sequence
 * order. When the subscription can't replay a gap (it reports `new`/`reset`), or a diff doesn't apply,
 * it fetches a fresh snapshot, queues the diffs that arrive meanwhile, applies those the snapshot
 * doesn't include, and only then shows the result: the application never sees a half-applied state.
 * The state is frozen; each change makes a new object that shares the untouched parts.
 */
export class SyncedState<T = unknown> extends Emitter<SyncedStateEvents<T>> {
  /** The document (null before the first snapshot, or when the channel has no state). */
  state: T | null = null;
  /** True once the first snapshot was loaded. */
  ready = false;
  epoch = '';
  /** The state includes every channel message up to this sequence number. */
  seq = 0;
  /** Non-null while a snapshot is on its way. */
  private queue: Queued[] | null = null;
  private fetchId = 0;
  /** The subscription's latest position, and what it was when the pending snapshot was requested. */
  private stream: [epoch: string, seq: number] = ['', 0];
  private floor: [epoch: string, seq: number] = ['', 0];
  /** After a recovered resubscription: `synced` fires once the replay reaches this sequence number. */
  private syncAt: number | null = null;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscription: { unsubscribe(): Promise<void> };

  constructor(
    readonly channel: string,
    private readonly source: SyncSource,
  ) {
    super();
    this.subscription = source.subscribe(channel, {
      onSubscribed: (info) => this.onSubscribed(info),
      onMessage: (data, info) => this.onMessage(data, info),
      onError: (error) => this.emit('error', error),
    });
  }

  /** Stops following the channel. */
  close(): Promise<void> {
    this.closed = true;
    this.queue = null;
    clearTimeout(this.retryTimer);
    return this.subscription.unsubscribe();
  }

  private onSubscribed(info: SubscribedInfo): void {
    this.stream = [info.epoch, info.seq];
    // `recovered`: every missed diff is replayed after this, nothing to do — unless we never loaded.
    if (info.status !== 'recovered' || (!this.ready && this.queue === null)) return this.resync();
    if (this.queue) return; // a snapshot is on its way: its load fires `synced`
    this.syncAt = info.head;
    this.checkSynced();
  }

  private checkSynced(): void {
    if (this.syncAt === null || this.seq < this.syncAt) return;
    this.syncAt = null;
    this.emit('synced', this.state);
  }

  private onMessage(data: unknown, info: MessageInfo): void {
    if (this.closed) return;
    this.stream = [info.epoch, info.seq];
    if (this.queue) {
      if (this.queue.push({ data, epoch: info.epoch, seq: info.seq }) > MAX_QUEUED) this.resync();
      return;
    }
    if (!this.ready) return;
    if (info.epoch !== this.epoch) return this.resync();
    if (info.seq <= this.seq) return; // already in the snapshot
    if (!isStatePatchMessage(data)) {
      this.seq = info.seq;
      return this.checkSynced();
    }
    let next: T | null;
    try {
      next = deepFreeze(applyPatch<T | null>(this.state, data.$patch));
    } catch {
      return this.resync(); // a diff that doesn't apply: our copy can't be trusted, reload it
    }
    const previous = this.state;
    this.state = next;
    this.seq = info.seq;
    this.emit('change', { type: 'patch', ops: data.$patch, state: next, previous, epoch: this.epoch, seq: info.seq });
    this.checkSynced();
  }

  /** Fetches a snapshot; diffs that arrive meanwhile are queued. Only the newest request counts. */
  private resync(): void {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.queue = [];
    this.syncAt = null;
    this.floor = this.stream;
    const id = ++this.fetchId;
    this.source.fetchState(this.channel).then(
      (snapshot) => id === this.fetchId && !this.closed && this.load(snapshot),
      (error: PushwireError) => {
        if (id !== this.fetchId || this.closed || error.code === 'closed') return;
        this.emit('error', error);
        // Refusals that asking again won't change wait for the next resubscription instead.
        if (error.code !== 'forbidden' && error.code !== 'too_large') this.retryTimer = setTimeout(() => id === this.fetchId && this.resync(), RETRY_DELAY);
      },
    );
  }

  private load(snapshot: Pick<SnapshotFrame, 'e' | 'q' | 'd'>): void {
    const queued = this.queue ?? [];
    let state = deepFreeze((snapshot.d ?? null) as T | null);
    // The snapshot was read after the request, so it is also the state as of the position the stream had then.
    let seq = this.floor[0] === snapshot.e ? Math.max(snapshot.q, this.floor[1]) : snapshot.q;
    try {
      for (const { data, epoch, seq: q } of queued) {
        if (epoch !== snapshot.e) throw new Error('epoch changed while the snapshot was on its way');
        if (q <= seq) continue; // the snapshot includes it
        if (isStatePatchMessage(data)) state = deepFreeze(applyPatch<T | null>(state, data.$patch));
        seq = q;
      }
    } catch {
      return this.resync();
    }
    this.queue = null;
    const previous = this.state;
    const type = this.ready ? 'reset' : 'init';
    this.state = state;
    this.epoch = snapshot.e;
    this.seq = seq;
    this.ready = true;
    const change: StateChange<T> = { type, ops: [{ op: 'replace', path: '', value: state }], state, previous, epoch: this.epoch, seq };
    this.emit('change', change);
    if (type === 'reset') this.emit('reset', change);
    this.emit('synced', state);
  }
}
