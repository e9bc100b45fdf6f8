/**
 * Stable error codes carried by `err` frames (and by the client's PushwireError).
 * Server codes travel on the wire; client codes are raised locally by the SDK.
 */
export type ServerErrorCode =
  | 'bad_frame' // not JSON, not an object, or a field of the wrong type
  | 'unknown_type' // a frame type the server does not know
  | 'too_large' // frame or payload over the negotiated max payload
  | 'bad_channel' // channel name does not follow the naming rule
  | 'forbidden' // the application's permission hook refused
  | 'no_handler' // the server has no handler for this kind of frame
  | 'handler_error' // the application's handler threw
  | 'rate_limited' // too many frames per second
  | 'limit_exceeded' // a count limit (subscriptions per session, ...) was hit
  | 'internal'; // a server bug or broker failure

export type ClientErrorCode =
  | 'timeout' // no ack/response within the configured time
  | 'closed' // the client was closed (by the app or by a fatal close code)
  | 'session_lost' // the frame was sent in a session that expired before it was acknowledged: outcome unknown
  | 'queue_full'; // the offline send queue is at its count or byte bound

export type ErrorCode = ServerErrorCode | ClientErrorCode;

/**
 * Close codes. The range tells a client what to do:
 * - 1000–3999 and 4000–4099: transient — reconnect with backoff and resume the session.
 * - 4100–4199: fatal — do not reconnect; surface the reason to the application.
 * - 4200–4299: credentials refused — reconnect only with fresh credentials (an `auth` function), never blindly.
 */
export const CloseCode = {
  Normal: 1000,
  TooLarge: 1009,
  ServerShutdown: 4000,
  HeartbeatTimeout: 4001,
  SlowConsumer: 4002,
  HandshakeTimeout: 4003,
  RateLimited: 4004,
  ServerFull: 4005,
  ProtocolVersion: 4100,
  BadHandshake: 4101,
  Replaced: 4102,
  Forbidden: 4103,
  Unauthorized: 4200,
  OtherUser: 4201,
} as const;

export type CloseAction = 'reconnect' | 'stop' | 'reauth';

export function closeAction(code: number): CloseAction {
  if (code >= 4100 && code < 4200) return 'stop';
  if (code >= 4200 && code < 4300) return 'reauth';
  return 'reconnect';
}
