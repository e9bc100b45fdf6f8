import type { ErrorCode } from '../protocol/codes.js';

/**
 * Every error the client reports. `code` is stable and typed: switch on it rather than on the message.
 * Server codes come from `err` frames; `timeout`, `closed`, `session_lost` and `queue_full` are the client's own.
 */
export class PushwireError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PushwireError';
  }
}

/** The server acknowledged a request (`req`, or a state `get`) without sending its answer first: a protocol violation. */
export const unanswered = (): PushwireError => new PushwireError('internal', 'acknowledged without an answer');

function ignore(): void {}

/**
 * The client's promise policy: every promise its API returns is marked handled. Its rejection still
 * reaches whoever awaits it (or calls then/catch), but one nobody waits for (a fire-and-forget send,
 * the sends pending at close()) is not an unhandled rejection: it neither ends a Node process nor puts
 * one error per send in a browser's console.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}
