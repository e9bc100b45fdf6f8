import type { TransportName } from '../../protocol/frames.js';

/** What a transport reports to the session layer. */
export interface TransportHandlers {
  /** The pipe is ready for the `hello` frame. */
  open(): void;
  /** One text frame from the server. */
  frame(text: string): void;
  /** The pipe ended; not called after the session layer's own `close()`. */
  close(code: number, reason: string): void;
}

/** One connection attempt over one kind of pipe. Knows nothing of channels, sequence numbers or replay. */
export interface Transport {
  send(text: string): void;
  /** Ends the pipe without reporting back. */
  close(): void;
}

/**
 * An event handler property, checked bivariantly (method-style) so that real sockets fit: the DOM's and
 * `ws`'s handlers take richer event types than the fields the client reads.
 */
type EventHandler<E> = { bivarianceHack(event: E): void }['bivarianceHack'] | null;

/** A minimal WebSocket interface: the browser's, or the `ws` package's in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: EventHandler<unknown>;
  onmessage: EventHandler<{ data: unknown }>;
  onclose: EventHandler<{ code: number; reason: string }>;
  onerror: EventHandler<unknown>;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface TransportContext {
  /** The endpoint's base URL, http(s), without a trailing slash (e.g. `https://example.com/pushwire`). */
  url: string;
  handlers: TransportHandlers;
  WebSocket?: WebSocketConstructor | undefined;
}

/**
 * When the client sends a receipt (`ack`): after `every` reliable frames, or about `delay` ms after the first one
 * not covered that is not a channel message (those wait for `every`, or the server's `ping`).
 */
export interface ReceiptPacing {
  readonly every: number;
  readonly delay: number;
}

export interface TransportDefinition {
  readonly name: TransportName;
  /** Starts connecting at once. Throws if the transport can't run here (e.g. no WebSocket). */
  create(context: TransportContext): Transport;
  /** Receipt pacing on this transport; default every 128 frames or ~1 s (see ReceiptPacing). */
  readonly receipts?: ReceiptPacing;
  /** Time for an attempt on this transport to reach the server's welcome, ms, unless the `connectTimeout` option says; default 10,000. */
  readonly connectTimeout?: number;
  /**
   * The server answers a `ping` sent before the hello on this transport, so a pipe of it can be tried
   * beside a working session (the upgrade probe) before the session moves onto it.
   */
  readonly probeable?: boolean;
  /** A `bye` sent right before `close()` reaches the server ahead of the pipe's end (one ordered connection). */
  readonly byeOnPipe?: boolean;
}
