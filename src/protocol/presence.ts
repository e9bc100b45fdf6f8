/**
 * Presence of a channel lives in a companion state channel, `$presence:` + the channel's name, whose
 * document maps each member key (the user) to that member's connections (one per session, e.g. one
 * per browser tab) and each connection to the metadata its client supplied:
 * `{ [member]: { [connection]: meta } }`.
 */
export const PRESENCE_PREFIX = '$presence:';

/** Channel names are at most 200 characters; the companion name needs room for the prefix. */
export const MAX_PRESENCE_TARGET_LENGTH = 200 - PRESENCE_PREFIX.length;

export type PresenceDocument = Record<string, Record<string, unknown>>;

export function presenceChannel(channel: string): string {
  return PRESENCE_PREFIX + channel;
}

/** The channel whose presence `channel` holds, or null if it is not a presence channel. */
export function presenceTarget(channel: string): string | null {
  return channel.startsWith(PRESENCE_PREFIX) ? channel.slice(PRESENCE_PREFIX.length) : null;
}
