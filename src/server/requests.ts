import type { Session } from './options.js';
import type { ServerSession } from './session.js';
import { errorFrame, responseFrame } from './frames.js';

export type RequestHandler = (session: Session, data: unknown) => unknown;

/**
 * Answers a client's `req` frame `s` with the handler's result as a reliable `res` frame (kept and
 * replayed like any other, so the answer survives a reconnect), or with an `err` frame for `s`.
 * Either goes out before the ack that covers `s`, because the session acks only after this resolves.
 */
export async function answerRequest(session: ServerSession, s: number, data: unknown, handler: RequestHandler | undefined): Promise<void> {
  if (!handler) {
    session.enqueue(errorFrame('no_handler', 'this server does not answer requests (no onRequest hook)', s));
    return;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify((await handler(session, data)) ?? null);
  } catch (error) {
    session.enqueue(errorFrame('handler_error', error instanceof Error ? error.message : String(error), s));
    return;
  }
  // JSON.stringify gives undefined for a function or symbol: the answer has no JSON form.
  if (json === undefined) session.enqueue(errorFrame('handler_error', 'the onRequest result is not JSON-serializable', s));
  else session.enqueue(responseFrame(s, json));
}
