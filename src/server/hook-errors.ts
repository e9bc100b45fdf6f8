import type { ServerErrorCode } from '../protocol/codes.js';
import type { ErrorFrame } from '../protocol/frames.js';
import type { Logger } from './logger.js';
import type { ServerHooks } from './options.js';
import { OutFrame } from './out-frame.js';

/**
 * An error meant for the client: thrown from a hook that answers a client frame (`onMessage`,
 * `onRequest`, `canSubscribe`, `canPublish`), its `code`, message and `data` reach the client in the
 * `handler_error` answer, and the client's promise rejects with them (`error.appCode`, `error.message`,
 * `error.data`). Any other error reaches the client without its text (an exception's message can hold
 * a database address or a password) and is logged on the server with its stack.
 *
 *     throw new PublicError('not_found', 'no such room', { room });
 */
export class PublicError extends Error {
  constructor(
    /** The application's own code, for the client to switch on. */
    readonly code: string,
    message: string,
    /** Anything JSON, sent to the client as it is. */
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'PublicError';
  }
}

export type HookName = keyof ServerHooks;

/** What the client is told of a hook's failure that was not a PublicError. */
const UNTOLD = 'the server application failed to handle this (its log has the reason)';

/** A hook threw while a client frame was being handled; already logged. `thrown` is what it threw. */
export class HookFailure extends Error {
  constructor(
    readonly hook: HookName,
    readonly thrown: unknown,
  ) {
    super(`${hook} hook failed`);
  }
}

/**
 * Runs one call of an application hook. A throw (or rejection) is logged with `fields` (the session,
 * the frame) and rethrown as a HookFailure, for the caller to answer the frame with `hookErrorFrame`.
 */
export async function callHook<T>(logger: Logger, hook: HookName, fields: Record<string, unknown>, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    logHookError(logger, hook, error, fields);
    throw new HookFailure(hook, error);
  }
}

/** Runs a hook whose result nobody waits for (`onConnection`, `onClose`): a throw or rejection is logged, nothing more. */
export function notifyHook(logger: Logger, hook: HookName, fields: Record<string, unknown>, call: () => unknown): void {
  callHook(logger, hook, fields, call).catch(() => {}); // logged by callHook
}

/**
 * Logs what a hook threw: a PublicError is an answer the application chose (debug); anything else is
 * a failure (error), logged with the hook's name, `fields` and the stack.
 */
export function logHookError(logger: Logger, hook: HookName, thrown: unknown, fields: Record<string, unknown>): void {
  if (thrown instanceof PublicError) {
    logger.debug(`${hook} hook answered with a PublicError`, { ...fields, hook, code: thrown.code, error: thrown.message });
    return;
  }
  const stack = thrown instanceof Error ? thrown.stack : undefined;
  logger.error(`${hook} hook threw`, { ...fields, hook, error: errorText(thrown), ...(stack === undefined ? {} : { stack }) });
}

/** The `err handler_error` answering frame `s` (and channel `ch`) whose hook threw `thrown`: a PublicError's code, message and data, else none of its text. */
export function hookErrorFrame(thrown: unknown, s: number, ch?: string): OutFrame {
  const code: ServerErrorCode = 'handler_error';
  const frame: ErrorFrame = { t: 'err', code, msg: toldMessage(thrown), s, ...(ch === undefined ? {} : { ch }) };
  if (!(thrown instanceof PublicError)) return OutFrame.of(frame, true);
  const told: ErrorFrame = { ...frame, appCode: thrown.code };
  if (thrown.data !== undefined) told.d = thrown.data;
  try {
    return OutFrame.of(told, true);
  } catch {
    // Its data has no JSON form (a BigInt, a cycle): the code and message still go.
    return OutFrame.of({ ...told, d: undefined, msg: `${thrown.message} (its data could not be sent: no JSON form)` }, true);
  }
}

/** What the client may read of what a hook threw: a PublicError's message, else nothing of it. */
export function toldMessage(thrown: unknown): string {
  return thrown instanceof PublicError ? thrown.message : UNTOLD;
}

function errorText(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
