import { randomBytes } from 'node:crypto';

/**
 * Bytes from the CSPRNG, fetched a few KB at a time: one `randomBytes` call per token is a syscall-
 * sized cost on every handshake (session id + secret), the pool makes it a slice. Each byte is used
 * for one token only.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** A url-safe random token from the CSPRNG: `bytes` bytes of entropy. */
export function randomToken(bytes: number): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('base64url');
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + bytes);
  offset += bytes;
  return token;
}
