import { randomBytes } from 'node:crypto';

/** A url-safe random token from the CSPRNG: `bytes` bytes of entropy. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
