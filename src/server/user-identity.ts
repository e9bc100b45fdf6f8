import { userIdOf } from './user-id.js';

/**
 * Who a session is, for comparing across connections (a resume must not change it) and keeping in a
 * cluster's session record: what the application's `authorize` returned as `user`, by its id
 * (`userIdOf`: the user itself if a string or number, else its `id` field), else by its JSON (`null`
 * for no user). Two answers of `authorize` with the same id name the same user even when other fields
 * (a token's expiry, say) changed between them.
 */
export function userIdentity(user: unknown): string {
  const id = userIdOf(user);
  if (id !== undefined) return `user:${id}`;
  try {
    return `json:${JSON.stringify(user ?? null)}`;
  } catch {
    return `value:${String(user)}`;
  }
}
