import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GoodbyeFrame } from '../../protocol/frames.js';
import { HttpPath } from '../../protocol/http.js';
import type { ServerCore } from '../core.js';
import type { Endpoint } from './endpoint.js';
import { bodyOrReply, replyText } from './http-body.js';
import { answeredAtGate, methodAllowed } from './http-gate.js';

/**
 * `POST {path}/bye`: a session's goodbye outside any connection. A page that unloads sends it in a
 * request that outlives the page (`navigator.sendBeacon`), because its connection is torn down with
 * it: an SSE stream may end, and the server forget the connection, before a goodbye POSTed on the
 * connection arrives. The body is `{"t":"bye","sid","secret"}`; the answer is `204` whether or not
 * the session existed and the secret matched (it reveals neither), `400` for another body.
 */
export class GoodbyeEndpoint implements Endpoint {
  private closing = false;

  constructor(private readonly core: ServerCore) {}

  handleRequest(req: IncomingMessage, res: ServerResponse, route: string): boolean {
    if (route !== HttpPath.bye) return false;
    if (answeredAtGate(req, res, this.core, this.closing) || !methodAllowed(req, res, 'POST')) return true;
    void answerGoodbye(req, res, this.core);
    return true;
  }

  close(): void {
    this.closing = true;
  }
}

async function answerGoodbye(req: IncomingMessage, res: ServerResponse, core: ServerCore): Promise<void> {
  const body = await bodyOrReply(req, res, core.options.maxPayload);
  if (body === undefined) return;
  const goodbye = parseGoodbye(body);
  if (!goodbye) return replyText(res, 400, 'bad_frame: the body must be {"t":"bye","sid":"…","secret":"…"}');
  try {
    await core.goodbye(goodbye.sid, goodbye.secret);
  } catch (error) {
    core.logger.warn('goodbye not delivered (the session expires on its own)', { session: goodbye.sid, error: String(error) });
    return replyText(res, 503, 'internal: the goodbye could not be delivered');
  }
  res.writeHead(204, { 'cache-control': 'no-store' }).end();
}

function parseGoodbye(body: string): GoodbyeFrame | null {
  let frame: unknown;
  try {
    frame = JSON.parse(body);
  } catch {
    return null;
  }
  const { t, sid, secret } = (typeof frame === 'object' && frame !== null ? frame : {}) as Record<string, unknown>;
  return t === 'bye' && typeof sid === 'string' && typeof secret === 'string' ? { t, sid, secret } : null;
}
