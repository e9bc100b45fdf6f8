// pushwire/sync: synced state and presence, an add-on to the client. Kept out of the main entry so an
// application that uses neither does not ship them (JSON Patch, the snapshot/diff logic, presence
// events); they use only the client's public API (subscribe, fetchState, joinPresence, leavePresence).
import { Presence, type PresenceSource } from './presence.js';
import { SyncedState, type SyncSource } from './synced-state.js';

/**
 * Follows a channel's state document: snapshot, then diffs, and a fresh snapshot whenever a gap
 * can't be replayed. `client`: a PushwireClient (from `connect()`).
 */
export function syncedState<T = unknown>(client: SyncSource, channel: string): SyncedState<T> {
  return new SyncedState<T>(channel, client);
}

/** Watches who is present in a channel; with `meta`, joins it too (see Presence). */
export function presence(client: PresenceSource, channel: string, meta?: unknown): Presence {
  return new Presence(channel, client, meta);
}

export { SyncedState, type StateChange, type SyncedStateEvents, type SyncSource } from './synced-state.js';
export { Presence, type PresenceEvents, type PresenceMember, type PresenceSource } from './presence.js';
export type { WireOperation, JsonValue } from '../protocol/json-patch.js';
export type { PresenceDocument } from '../protocol/presence.js';
