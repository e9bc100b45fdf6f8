import { jsonEqual } from '../protocol/json-patch.js';
import { presenceChannel, type PresenceDocument } from '../protocol/presence.js';
import { Emitter } from '../client/emitter.js';
import type { PushwireError } from '../client/errors.js';
import { type StateChange, SyncedState, type SyncSource } from './synced-state.js';

/** One member of a channel's presence: a user (or an anonymous session) with one connection per session (tab). */
export interface PresenceMember {
  key: string;
  /** Connection id → the metadata that connection's client supplied. */
  connections: Readonly<Record<string, unknown>>;
}

export type PresenceEvents = {
  /** A member appeared (its first connection joined). */
  join: [member: PresenceMember];
  /** A member is gone (its last connection left, or its sessions ended). */
  leave: [member: PresenceMember];
  /** A member's connections or metadata changed (e.g. a second tab joined). */
  update: [member: PresenceMember, previous: PresenceMember];
  /** The full list after every (re)subscription: first load, reset, or replay of what was missed (its join/leave events come first). */
  sync: [members: PresenceMember[]];
  error: [error: PushwireError];
};

export interface PresenceSource extends SyncSource {
  joinPresence(channel: string, meta: unknown): Promise<void>;
  leavePresence(channel: string): Promise<void>;
}

/**
 * A channel's presence, followed as the synced state of its `$presence:` companion channel. Join and
 * leave events are derived from state changes, so a reconnect that resets the state yields exactly the
 * joins and leaves that happened meanwhile, then the full list.
 */
export class Presence extends Emitter<PresenceEvents> {
  private readonly synced_: SyncedState<PresenceDocument>;

  constructor(
    readonly channel: string,
    private readonly source_: PresenceSource,
    meta?: unknown,
  ) {
    super();
    this.synced_ = new SyncedState<PresenceDocument>(presenceChannel(channel), source_);
    this.synced_.on('change', (change) => this.onChange_(change));
    this.synced_.on('error', (error) => this.emit_('error', error));
    this.synced_.on('synced', () => this.emit_('sync', this.list()));
    if (meta !== undefined) void this.join(meta).catch((error: PushwireError) => this.emit_('error', error));
  }

  /** True once the first list has arrived. */
  get ready(): boolean {
    return this.synced_.ready;
  }

  /** Everyone present now. */
  list(): PresenceMember[] {
    return Object.entries(this.synced_.state ?? {}).map(([key, connections]) => ({ key, connections }));
  }

  /** Joins with this metadata, or updates it; kept across reconnects until `leave()`. */
  join(meta: unknown): Promise<void> {
    return this.source_.joinPresence(this.channel, meta);
  }

  leave(): Promise<void> {
    return this.source_.leavePresence(this.channel);
  }

  /** Leaves (if joined) and stops watching. */
  async close(): Promise<void> {
    await Promise.all([this.leave(), this.synced_.close()]);
  }

  private onChange_(change: StateChange<PresenceDocument>): void {
    const before = change.previous ?? {};
    const after = change.state ?? {};
    const has = (doc: PresenceDocument, key: string): boolean => Object.prototype.hasOwnProperty.call(doc, key);
    // Untouched members are the same objects before and after (the patch shares them), so this is cheap.
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[key] === after[key]) continue;
      const old = has(before, key) ? { key, connections: before[key]! } : null;
      const now = has(after, key) ? { key, connections: after[key]! } : null;
      if (!old && now) this.emit_('join', now);
      else if (old && !now) this.emit_('leave', old);
      else if (old && now && !jsonEqual(old.connections, now.connections)) this.emit_('update', now, old);
    }
  }
}
