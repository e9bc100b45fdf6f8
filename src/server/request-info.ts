import type { IncomingMessage } from 'node:http';
import type { RequestInfo } from './options.js';

export function requestInfo(req: IncomingMessage): RequestInfo {
  return { headers: req.headers, remoteAddress: req.socket.remoteAddress ?? '', url: req.url ?? '/' };
}

/** The path of a request URL, without its query string. */
export function pathnameOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
