import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Connection } from '../connection.js';
import { ConnectionController } from '../connection-controller.js';
import type { ServerCore } from '../core.js';
import type { OutFrame } from '../out-frame.js';
import { originAllowed } from '../origin.js';
import { pathnameOf, requestInfo } from '../request-info.js';
import { textFrame } from './websocket-frame.js';
import { flushAtTickEnd } from '../tick-end.js';

/** Key of the framed bytes cached on each OutFrame. */
const WS_FRAME = 'ws';

/** A WebSocket close reason is at most 123 bytes of UTF-8. */
function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString() + '...';
}

/**
 * Write batching across all WebSocket connections: a connection's socket is corked at its first write
 * in a tick and uncorked at the end of the tick, so whatever it sends in one tick (welcome + subd +
 * ack of a handshake, a fan-out burst, a replay) leaves in one write. The end of the tick comes right
 * after the synchronous work and its promise chains, so this adds no wait on the event loop.
 */
function uncork(connection: WebSocketConnection): void {
  connection.uncork();
}

class WebSocketConnection implements Connection {
  readonly transport = 'websocket' as const;
  /** Whether its socket is corked until the tick ends. */
  private isCorked = false;

  /** `raw` is the upgraded TCP socket under `socket`. */
  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Duplex,
  ) {}

  get pendingBytes(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Writes the frame's WebSocket bytes, framed once per frame (not per socket), straight to the TCP
   * socket. `ws` writes whole frames synchronously (compression is off), so frames never interleave,
   * and its `bufferedAmount` still counts these bytes.
   */
  send(frame: OutFrame): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (!this.isCorked) {
      this.isCorked = true;
      this.raw.cork();
      flushAtTickEnd(uncork, this);
    }
    this.raw.write(frame.encoded(WS_FRAME, textFrame));
  }

  uncork(): void {
    this.isCorked = false;
    this.raw.uncork();
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, closeReason(reason));
    }
  }
}

/** The WebSocket endpoint at `{path}/ws`, on the `ws` package. */
export class WebSocketEndpoint {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();

  constructor(
    private readonly core: ServerCore,
    private readonly pathname: string,
  ) {
    // Frames up to twice the max payload reach the session layer, which refuses them with a clear
    // `too_large` error naming the frame; beyond that `ws` closes with 1009 before buffering more.
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: core.options.maxPayload * 2,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  private closing = false;

  /** Takes the upgrade if it is for this endpoint; returns false to leave it to others. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (pathnameOf(req) !== this.pathname) return false;
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\r\n');
    } else if (!originAllowed(req, this.core.options.allowedOrigins)) {
      // Cross-site WebSocket hijacking: a page from another origin riding on the user's cookies.
      this.core.counters.limitHits.origin++;
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\norigin not allowed');
    } else {
      this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, req));
    }
    return true;
  }

  /** Stops taking upgrades; waits up to `grace` ms for open sockets to finish closing, then cuts the rest. */
  async close(grace: number): Promise<void> {
    this.closing = true;
    const open = [...this.sockets];
    await Promise.race([
      Promise.all(open.map((socket) => (socket.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => socket.once('close', resolve))))),
      new Promise((resolve) => setTimeout(resolve, grace).unref()),
    ]);
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    this.server.close();
  }

  private accept(ws: WebSocket, raw: Duplex, req: IncomingMessage): void {
    this.sockets.add(ws);
    const controller = new ConnectionController(this.core, new WebSocketConnection(ws, raw), requestInfo(req, this.core.options.trustProxy));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, 'pushwire frames are JSON text');
        return;
      }
      controller.onText(data.toString());
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      controller.onClose();
    });
    ws.on('error', (error) => {
      this.core.logger.debug('websocket error', { error: error.message });
    });
  }
}
