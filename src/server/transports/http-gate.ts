import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransportName } from '../../protocol/frames.js';
import type { ServerCore } from '../core.js';
import { replyText } from './http-body.js';
import { answeredByOriginGate } from './http-origin.js';

/**
 * What every HTTP endpoint checks first, in this order: a server shutting down answers 503, then the
 * origin gate (403, CORS, preflights). Returns true if the request has been answered.
 */
export function answeredAtGate(req: IncomingMessage, res: ServerResponse, core: ServerCore, closing: boolean): boolean {
  if (closing) {
    replyText(res, 503, 'server shutting down', { 'retry-after': '1' });
    return true;
  }
  return answeredByOriginGate(req, res, core);
}

/** Whether the request uses one of the `allowed` methods; answers 405 if not. */
export function methodAllowed(req: IncomingMessage, res: ServerResponse, ...allowed: string[]): boolean {
  if (allowed.includes(req.method ?? '')) return true;
  replyText(res, 405, `method not allowed; use ${allowed.join(' or ')}`, { allow: allowed.join(', ') });
  return false;
}

/** Whether `transport` is one the server offers; answers 404 if not. */
export function transportEnabled(core: ServerCore, transport: TransportName, res: ServerResponse): boolean {
  if (core.transports.includes(transport)) return true;
  replyText(res, 404, `the ${transport} transport is disabled on this server`);
  return false;
}
