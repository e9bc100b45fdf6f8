/**
 * Frame shapes of protocol version 1. Every frame is one JSON object with a type field `t`.
 * Field names are short because some frames (`m`) are the hot path of fan-out.
 */
export type TransportName = 'websocket' | 'sse' | 'long-polling';

/** A position in a channel: the channel's epoch and the last sequence number seen in it (0 = none). */
export type Position = [epoch: string, seq: number];

// ---- client → server ----------------------------------------------------------------------------

/** First frame of every connection. `sid`/`secret`/`rx` ask to resume a session. */
export interface HelloFrame {
  t: 'hello';
  v: number;
  sid?: string;
  secret?: string;
  /** Count of reliable server frames the client received in that session. */
  rx?: number;
  auth?: unknown;
}
export interface SubscribeFrame {
  t: 'sub';
  s: number;
  ch: string;
  /** Resume from this position: replay everything after it, or reset. */
  from?: Position;
  /** For a fresh subscription: replay up to this many of the most recent messages. */
  rewind?: number;
}
export interface UnsubscribeFrame {
  t: 'unsub';
  s: number;
  ch: string;
}
export interface PublishFrame {
  t: 'pub';
  s: number;
  ch: string;
  d: unknown;
}
export interface SendFrame {
  t: 'msg';
  s: number;
  d: unknown;
}
/** A request to the server application (its onRequest hook), answered by `res` or `err` with the same `s`. */
export interface RequestFrame {
  t: 'req';
  s: number;
  d: unknown;
}
/** Cumulative receipt: the client has received `n` reliable frames of this session. */
export interface ReceiptFrame {
  t: 'ack';
  n: number;
}
/** Answers a server ping; carries the receipt count too, so a heartbeat doubles as an ack. */
export interface ClientPongFrame {
  t: 'pong';
  n: number;
}
/** A round-trip probe; the server answers `pong` with the same id. */
export interface ClientPingFrame {
  t: 'ping';
  id: number;
}
/** The client is leaving for good: end the session now instead of waiting for its expiry. */
export interface ByeFrame {
  t: 'bye';
}
/**
 * The same goodbye outside any connection, as the body of `POST {path}/bye` (sent while the page
 * unloads): it names the session and proves it with the resume secret.
 */
export interface GoodbyeFrame {
  t: 'bye';
  sid: string;
  secret: string;
}

/** Asks for the channel's state snapshot; answered by a `snap` frame (see docs/PROTOCOL.md, synced state). */
export interface GetStateFrame {
  t: 'get';
  s: number;
  ch: string;
}
/** Joins the channel's presence with this metadata, or updates it if already joined. */
export interface JoinFrame {
  t: 'join';
  s: number;
  ch: string;
  meta: unknown;
}
/** Leaves the channel's presence. */
export interface LeaveFrame {
  t: 'leave';
  s: number;
  ch: string;
}

/** Client frames that carry a sequence number `s`, are acknowledged, and are delivered exactly once. */
export type SequencedClientFrame =
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | SendFrame
  | RequestFrame
  | GetStateFrame
  | JoinFrame
  | LeaveFrame;
export type ClientFrame = HelloFrame | SequencedClientFrame | ReceiptFrame | ClientPongFrame | ClientPingFrame | ByeFrame;

// ---- server → client ----------------------------------------------------------------------------

export interface WelcomeFrame {
  t: 'welcome';
  v: number;
  sid: string;
  secret: string;
  /** true: the session asked for in `hello` continues. false: this is a new session. */
  resumed: boolean;
  /**
   * With `resumed`: the session continues on another server node. Client sequence numbers go on (the
   * ack that follows says what was handled; resend the rest), but reliable frames are counted afresh
   * from `rx` (0) and the client subscribes to its channels (and joins presence) again from its positions.
   */
  resync?: boolean;
  /** Reliable frames that follow are numbered from rx + 1. */
  rx: number;
  /** Heartbeat interval in ms. */
  hb: number;
  /** Max payload: the largest frame, in bytes of UTF-8 JSON, the server accepts. */
  max: number;
  /** Transports this server offers, in its order of preference. */
  tr: TransportName[];
}
/** A channel message. The same bytes go to every subscriber (no per-session fields). */
export interface MessageFrame {
  t: 'm';
  ch: string;
  e: string;
  q: number;
  d: unknown;
}
export type SubscribeStatus = 'new' | 'recovered' | 'reset';
/** Confirms a subscription; the `m` frames that follow continue from position [e, q]. */
export interface SubscribedFrame {
  t: 'subd';
  /** The `sub` frame this answers; absent when the server resets a subscription on its own. */
  s?: number;
  ch: string;
  e: string;
  q: number;
  /** The channel's head (last sequence number) when the subscription took effect. */
  h: number;
  st: SubscribeStatus;
}
/** Cumulative: every client frame with sequence number ≤ s has been handled. */
export interface AckFrame {
  t: 'ack';
  s: number;
}
export interface ErrorFrame {
  t: 'err';
  /** The client frame this error answers, if any. */
  s?: number;
  code: string;
  msg: string;
  ch?: string;
  /** `handler_error` from an error the application meant for the client (PublicError): its own code… */
  appCode?: string;
  /** …and its data. */
  d?: unknown;
}
/** A message from the server application to this session only. */
export interface DirectFrame {
  t: 'msg';
  d: unknown;
}
/** The answer to the client's `req` frame `s`; reliable, so it survives a reconnect. Precedes the ack covering `s`. */
export interface ResponseFrame {
  t: 'res';
  s: number;
  d: unknown;
}
export interface ServerPingFrame {
  t: 'ping';
}
export interface ServerPongFrame {
  t: 'pong';
  id: number;
}
/** Sent before the server closes a connection, so HTTP transports learn the close code too. */
export interface CloseFrame {
  t: 'close';
  code: number;
  reason: string;
  /** Reconnect after a uniformly random delay below this many ms (spreads clients out on a shutdown). */
  retry?: number;
}

/**
 * Answers `get` (its `s`): the channel's state document `d` (null: no state) as of sequence number `q`
 * of epoch `e` — every state change up to the channel's head when it was read is in it.
 */
export interface SnapshotFrame {
  t: 'snap';
  s: number;
  ch: string;
  e: string;
  q: number;
  d: unknown;
}

/** Server frames that are counted, kept until the client acknowledges them, and replayed on resume. */
export type ReliableServerFrame = MessageFrame | SubscribedFrame | ErrorFrame | DirectFrame | ResponseFrame | SnapshotFrame;
export type ServerFrame = WelcomeFrame | ReliableServerFrame | AckFrame | ServerPingFrame | ServerPongFrame | CloseFrame;

const RELIABLE_TYPES: ReadonlySet<string> = new Set(['m', 'subd', 'err', 'msg', 'res', 'snap']);

/** Whether a server frame of this type is counted in the session's receipt count. */
export function isReliableType(t: string): boolean {
  return RELIABLE_TYPES.has(t);
}
