import type { IncomingMessage } from 'node:http';
import type { RequestInfo } from './options.js';

/** The client's address: the socket's peer, or behind a trusted proxy the first X-Forwarded-For entry. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || (req.socket.remoteAddress ?? '');
}

export function requestInfo(req: IncomingMessage, trustProxy: boolean): RequestInfo {
  return { headers: req.headers, remoteAddress: clientAddress(req, trustProxy), url: req.url ?? '/' };
}

/** The path of a request URL, without its query string. */
export function pathnameOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
