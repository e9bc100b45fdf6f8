import type { SnapshotFrame } from '../protocol/frames.js';
import { applyPatch, type WireOperation } from '../protocol/json-patch.js';
import { isStatePatchMessage } from '../protocol/state-message.js';
import { Emitter } from '../client/emitter.js';
import type { PushwireError } from '../client/errors.js';
import type { MessageInfo, SubscribedInfo, SubscriptionHandlers } from '../client/subscription.js';

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
  private queue_: Queued[] | null = null;
  private fetchId_ = 0;
  /** The subscription's latest position, and what it was when the pending snapshot was requested. */
  private stream_: [epoch: string, seq: number] = ['', 0];
  private floor_: [epoch: string, seq: number] = ['', 0];
  /** After a recovered resubscription: `synced` fires once the replay reaches this sequence number. */
  private syncAt_: number | null = null;
  private closed_ = false;
  private retryTimer_: ReturnType<typeof setTimeout> | undefined;
  private readonly subscription_: { unsubscribe(): Promise<void> };

  constructor(
    readonly channel: string,
    private readonly source_: SyncSource,
  ) {
    super();
    this.subscription_ = source_.subscribe(channel, {
      onSubscribed: (info) => this.onSubscribed_(info),
      onMessage: (data, info) => this.onMessage_(data, info),
      onError: (error) => this.emit_('error', error),
    });
  }

  /** Stops following the channel. */
  close(): Promise<void> {
    this.closed_ = true;
    this.queue_ = null;
    clearTimeout(this.retryTimer_);
    return this.subscription_.unsubscribe();
  }

  private onSubscribed_(info: SubscribedInfo): void {
    this.stream_ = [info.epoch, info.seq];
    // `recovered`: every missed diff is replayed after this, nothing to do — unless we never loaded.
    if (info.status !== 'recovered' || (!this.ready && this.queue_ === null)) return this.resync_();
    if (this.queue_) return; // a snapshot is on its way: its load fires `synced`
    this.syncAt_ = info.head;
    this.checkSynced_();
  }

  private checkSynced_(): void {
    if (this.syncAt_ === null || this.seq < this.syncAt_) return;
    this.syncAt_ = null;
    this.emit_('synced', this.state);
  }

  private onMessage_(data: unknown, info: MessageInfo): void {
    if (this.closed_) return;
    this.stream_ = [info.epoch, info.seq];
    if (this.queue_) {
      if (this.queue_.push({ data, epoch: info.epoch, seq: info.seq }) > MAX_QUEUED) this.resync_();
      return;
    }
    if (!this.ready) return;
    if (info.epoch !== this.epoch) return this.resync_();
    if (info.seq <= this.seq) return; // already in the snapshot
    if (!isStatePatchMessage(data)) {
      this.seq = info.seq;
      return this.checkSynced_();
    }
    let next: T | null;
    try {
      next = deepFreeze(applyPatch<T | null>(this.state, data.$patch));
    } catch {
      return this.resync_(); // a diff that doesn't apply: our copy can't be trusted, reload it
    }
    const previous = this.state;
    this.state = next;
    this.seq = info.seq;
    this.emit_('change', { type: 'patch', ops: data.$patch, state: next, previous, epoch: this.epoch, seq: info.seq });
    this.checkSynced_();
  }

  /** Fetches a snapshot; diffs that arrive meanwhile are queued. Only the newest request counts. */
  private resync_(): void {
    if (this.closed_) return;
    clearTimeout(this.retryTimer_);
    this.queue_ = [];
    this.syncAt_ = null;
    this.floor_ = this.stream_;
    const id = ++this.fetchId_;
    this.source_.fetchState(this.channel).then(
      (snapshot) => id === this.fetchId_ && !this.closed_ && this.load_(snapshot),
      (error: PushwireError) => {
        if (id !== this.fetchId_ || this.closed_ || error.code === 'closed') return;
        this.emit_('error', error);
        // Refusals that asking again won't change wait for the next resubscription instead.
        if (error.code !== 'forbidden' && error.code !== 'too_large')
          this.retryTimer_ = setTimeout(() => id === this.fetchId_ && this.resync_(), RETRY_DELAY);
      },
    );
  }

  private load_(snapshot: Pick<SnapshotFrame, 'e' | 'q' | 'd'>): void {
    const queued = this.queue_ ?? [];
    let state = deepFreeze((snapshot.d ?? null) as T | null);
    // The snapshot was read after the request, so it is also the state as of the position the stream had then.
    let seq = this.floor_[0] === snapshot.e ? Math.max(snapshot.q, this.floor_[1]) : snapshot.q;
    try {
      for (const { data, epoch, seq: q } of queued) {
        if (epoch !== snapshot.e) throw new Error('epoch changed while the snapshot was on its way');
        if (q <= seq) continue; // the snapshot includes it
        if (isStatePatchMessage(data)) state = deepFreeze(applyPatch<T | null>(state, data.$patch));
        seq = q;
      }
    } catch {
      return this.resync_();
    }
    this.queue_ = null;
    const previous = this.state;
    const type = this.ready ? 'reset' : 'init';
    this.state = state;
    this.epoch = snapshot.e;
    this.seq = seq;
    this.ready = true;
    const change: StateChange<T> = { type, ops: [{ op: 'replace', path: '', value: state }], state, previous, epoch: this.epoch, seq };
    this.emit_('change', change);
    if (type === 'reset') this.emit_('reset', change);
    this.emit_('synced', state);
  }
}
