/**
 * Names shared by the HTTP transports (SSE + POST, long-polling) on both sides. See docs/PROTOCOL.md,
 * "Transports". Header names are lower case, as Node reports them; HTTP header names are case-insensitive.
 */
export const HttpPath = {
  /** POST, body = the `hello` frame: opens an SSE connection; the response is its event stream. */
  sse: '/sse',
  /** POST, body = the `hello` frame: opens a long-polling connection (answered like a poll). GET: a poll. */
  poll: '/poll',
  /** POST: frames from the client on an HTTP connection, newline-separated. */
  send: '/send',
  /** GET ?channel=NAME: one channel as a plain event stream, for a standard EventSource. */
  events: '/events',
} as const;

export const HttpHeader = {
  /** Names one HTTP connection (a random token from the server); sent on every request after the open. */
  connection: 'pushwire-connection',
  /** Largest request body (bytes) the server accepts: the client cuts its batches to fit. */
  maxBody: 'pushwire-max-body',
  /** Long-polling: number of the poll batch in this response. */
  batch: 'pushwire-batch',
  /** Long-polling: number of the last poll batch the client received. */
  received: 'pushwire-received',
} as const;
