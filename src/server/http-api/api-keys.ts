import { createHash, timingSafeEqual } from 'node:crypto';

/** Shortest API key accepted in the options: a guessable key is no key. */
const MIN_KEY_LENGTH = 16;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The API keys of the HTTP API. Several may be valid at once (rotate by adding the new key, moving the
 * callers, then removing the old one). Compared in constant time on SHA-256 digests, so neither the
 * content nor the length of a key leaks through timing.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    if (!Array.isArray(keys) || keys.length === 0) throw new RangeError('pushwire: option httpApi.keys must list at least one API key');
    for (const key of keys) {
      if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
        throw new RangeError(`pushwire: every API key in httpApi.keys must be a string of at least ${MIN_KEY_LENGTH} characters`);
      }
    }
    this.digests = keys.map(digest);
  }

  /** Whether an `Authorization: Bearer <key>` header carries one of the keys. */
  accepts(authorization: string | undefined): boolean {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!match) return false;
    const offered = digest(match[1]!);
    let accepted = false;
    // Every key is compared, so the time taken does not tell which one matched.
    for (const key of this.digests) accepted = timingSafeEqual(key, offered) || accepted;
    return accepted;
  }
}
