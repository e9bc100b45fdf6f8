import type { IncomingMessage } from 'node:http';

/**
 * Which page origins may open connections (against cross-site WebSocket hijacking and cross-site
 * requests): a list of origins (`https://app.example.com`), `'*'` for any, or a function.
 * Default: same origin only — the Origin's host must be the request's Host.
 * Requests without an Origin header (not from a browser page) are always allowed.
 */
export type OriginPolicy = '*' | string[] | ((origin: string, req: IncomingMessage) => boolean);

export function originAllowed(req: IncomingMessage, policy: OriginPolicy | undefined): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (policy === '*') return true;
  if (typeof policy === 'function') return policy(origin, req);
  if (policy) return policy.includes(origin);
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
