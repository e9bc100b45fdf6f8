import { createHash, timingSafeEqual } from 'node:crypto';
import { randomToken } from './random.js';

/**
 * Checks of a session's resume secret. The protocol promises that a client can't tell an unknown
 * session from a wrong secret, so both cost the same work: an unknown session is checked against a
 * stand-in secret nobody has, with the same hashing and the same constant-time comparison.
 */

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** What an unknown session is checked against (as long as a real secret, so hashing it costs the same). */
const STAND_IN_SECRET = randomToken(24);
const STAND_IN_HASH = sha256(STAND_IN_SECRET).toString('hex');

/** SHA-256 of a secret, hex: what a cluster's session record keeps instead of the secret. */
export function secretHash(secret: string): string {
  return sha256(secret).toString('hex');
}

/** Is `given` the secret whose SHA-256 is `digest`? Constant time (a digest of another length never matches). */
function digestMatches(digest: Buffer, given: string): boolean {
  const givenDigest = sha256(given);
  return digest.length === givenDigest.length && timingSafeEqual(digest, givenDigest);
}

/** Is `given` the secret `expected` (undefined: no session has the id)? The same work either way. */
export function secretMatches(expected: string | undefined, given: string): boolean {
  return digestMatches(sha256(expected ?? STAND_IN_SECRET), given) && expected !== undefined;
}

/** Is `given` the secret whose hex SHA-256 a session record keeps (undefined: no record)? The same work either way. */
export function secretHashMatches(expectedHash: string | undefined, given: string): boolean {
  return digestMatches(Buffer.from(expectedHash ?? STAND_IN_HASH, 'hex'), given) && expectedHash !== undefined;
}
