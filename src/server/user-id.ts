/**
 * A session's user id: the `user` that `authorize` returned if it is a string or number, or its `id`
 * field if that is (as jwtAuth's users have); undefined otherwise. Presence member keys and the HTTP
 * API's disconnect-by-user both go by it.
 */
export function userIdOf(user: unknown): string | undefined {
  if (typeof user === 'string' || typeof user === 'number') return String(user);
  const id = typeof user === 'object' && user !== null ? (user as { id?: unknown }).id : undefined;
  if (typeof id === 'string' || typeof id === 'number') return String(id);
  return undefined;
}
