import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpHeader } from '../../protocol/http.js';
import type { ServerCore } from '../core.js';
import { originAllowed } from '../origin.js';
import { replyText } from './http-body.js';

const EXPOSED = [HttpHeader.connection, HttpHeader.maxBody, HttpHeader.batch].join(', ');
const ACCEPTED = ['content-type', HttpHeader.connection, HttpHeader.received].join(', ');

/**
 * The origin gate of the HTTP endpoints. A page from an origin the server does not allow gets 403
 * (browsers send `Origin` with every cross-site POST, so a plain cross-site form can't drive these
 * endpoints: CSRF). An allowed page from another origin gets CORS headers (without credentials: use
 * the `auth` option, not cookies, across origins), and its preflight is answered here.
 * Returns true if the request has been answered.
 */
export function answeredByOriginGate(req: IncomingMessage, res: ServerResponse, core: ServerCore): boolean {
  const origin = req.headers.origin;
  if (!originAllowed(req, core.options.allowedOrigins, core.options.trustProxy)) {
    core.counters.limitHits.origin++;
    replyText(res, 403, 'forbidden: origin not allowed');
    return true;
  }
  if (origin === undefined) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-expose-headers', EXPOSED);
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': ACCEPTED,
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}
