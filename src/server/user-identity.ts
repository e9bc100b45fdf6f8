/**
 * Who a session is: what the application's `authorize` returned as `user`, reduced to something that
 * can be compared across connections (a resume must not change it) and kept in a cluster's session
 * record.
 */

/** `user:<id>` for a string or number user, or for an object's string or number `id`; null for anything else. */
export function userKey(user: unknown): string | null {
  if (typeof user === 'string' || typeof user === 'number') return `user:${user}`;
  const id = typeof user === 'object' && user !== null ? (user as { id?: unknown }).id : undefined;
  if (typeof id === 'string' || typeof id === 'number') return `user:${id}`;
  return null;
}

/**
 * The identity of a user: its key, or else its JSON (`null` for no user), so two results of
 * `authorize` name the same user when they have the same id — other fields (a token's expiry, say)
 * may change between them.
 */
export function userIdentity(user: unknown): string {
  const key = userKey(user);
  if (key !== null) return key;
  try {
    return `json:${JSON.stringify(user ?? null)}`;
  } catch {
    return `value:${String(user)}`;
  }
}
