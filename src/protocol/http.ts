/**
 * Names shared by the HTTP transports (SSE + POST, long-polling) on both sides. See docs/PROTOCOL.md,
 * "Transports". Header names are lower case, as Node reports them; HTTP header names are case-insensitive.
 * Each name is also its own constant, so the browser client bundles only the ones it uses.
 */

/** POST, body = the `hello` frame: opens an SSE connection; the response is its event stream. */
export const SSE_PATH = '/sse';
/** POST, body = the `hello` frame: opens a long-polling connection (answered like a poll). GET: a poll. */
export const POLL_PATH = '/poll';
/** POST: frames from the client on an HTTP connection, newline-separated. */
export const SEND_PATH = '/send';
/** GET ?channel=NAME: one channel as a plain event stream, for a standard EventSource. */
export const EVENTS_PATH = '/events';
/** POST, body = a goodbye frame `{"t":"bye","sid","secret"}`: ends a session without a connection (a page unloading). */
export const BYE_PATH = '/bye';

export const HttpPath = { sse: SSE_PATH, poll: POLL_PATH, send: SEND_PATH, events: EVENTS_PATH, bye: BYE_PATH } as const;

/** Names one HTTP connection (a random token from the server); sent on every request after the open. */
export const CONNECTION_HEADER = 'pushwire-connection';
/** Largest request body (bytes) the server accepts: the client cuts its batches to fit. */
export const MAX_BODY_HEADER = 'pushwire-max-body';
/** Long-polling: number of the poll batch in this response. */
export const BATCH_HEADER = 'pushwire-batch';
/** Long-polling: number of the last poll batch the client received. */
export const RECEIVED_HEADER = 'pushwire-received';

export const HttpHeader = {
  connection: CONNECTION_HEADER,
  maxBody: MAX_BODY_HEADER,
  batch: BATCH_HEADER,
  received: RECEIVED_HEADER,
} as const;
