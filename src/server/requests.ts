import type { Logger } from './logger.js';
import type { ServerSession } from './session.js';
import { errorFrame, responseFrame } from './frames.js';

/**
 * Answers a client's `req` frame `s` with what `handler` (the onRequest hook, bound to the session and
 * the request's data) returns, as a reliable `res` frame (kept and replayed like any other, so the
 * answer survives a reconnect), or with an `err` frame for `s`. Either goes out before the ack that
 * covers `s`, because the session acks only after this resolves. A throw of the handler is the
 * caller's to answer (see hook-errors.ts).
 */
export async function answerRequest(
  session: ServerSession,
  s: number,
  handler: (() => unknown) | undefined,
  logger: Logger,
): Promise<void> {
  if (!handler) {
    session.enqueue(errorFrame('no_handler', 'this server does not answer requests (no onRequest hook)', s));
    return;
  }
  const result = await handler();
  let json: string | undefined;
  let why = 'a function or symbol has no JSON form';
  try {
    json = JSON.stringify(result ?? null);
  } catch (error) {
    why = String(error); // a cycle, a BigInt
  }
  if (json === undefined) {
    logger.error('the onRequest result is not JSON-serializable', { session: session.id, hook: 'onRequest', s, error: why });
    session.enqueue(errorFrame('handler_error', 'the onRequest result is not JSON-serializable', s));
  } else {
    session.enqueue(responseFrame(s, json));
  }
}
