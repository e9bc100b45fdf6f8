import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Which page origins may open connections (against cross-site WebSocket hijacking and cross-site
 * requests): a list of origins (`https://app.example.com`), `'*'` for any, or a function.
 * Default: same origin only — the Origin's scheme and host must be the request's own (see ownOrigin).
 * Requests without an Origin header (not from a browser page) are always allowed.
 */
export type OriginPolicy = '*' | string[] | ((origin: string, req: IncomingMessage) => boolean);

export function originAllowed(req: IncomingMessage, policy: OriginPolicy | undefined, trustProxy: boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (policy === '*') return true;
  if (typeof policy === 'function') return policy(origin, req);
  if (policy) return policy.includes(origin);
  try {
    const page = new URL(origin);
    return page.protocol === ownScheme(req, trustProxy) && page.host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * The scheme the client used to reach this server: `https:` on a TLS socket, else `http:`; behind a
 * trusted proxy (which terminates TLS and forwards plain HTTP) the first `X-Forwarded-Proto` entry.
 * An `https://` page is not the same origin as an `http://` server on the same host.
 */
function ownScheme(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-proto'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  if (first) return `${first}:`;
  return (req.socket as Partial<TLSSocket>).encrypted === true ? 'https:' : 'http:';
}
