import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * One way into the server under its path: a transport (WebSocket, SSE, long-polling) or another HTTP
 * endpoint of the protocol (upstream POSTs, channel streams, the goodbye). The server offers each
 * request and upgrade under its path to every endpoint in turn (see endpoints.ts); an endpoint hands
 * each connection it opens to a ConnectionController and knows nothing of sessions or channels.
 * `route` is the request's path below the server's path, e.g. `/sse`.
 */
export interface Endpoint {
  /** Answers the request if `route` is this endpoint's; returns false to leave it to others. */
  handleRequest(req: IncomingMessage, res: ServerResponse, route: string): boolean;
  /** Takes an HTTP upgrade if `route` is this endpoint's; returns false to leave it to others. */
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, route: string): boolean;
  /**
   * Stops taking requests (later ones get 503) and ends its connections; called after the session
   * layer has ended the sessions. Connections that close in their own time get up to `grace` ms.
   */
  close(grace: number): void | Promise<void>;
}
