import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Connection } from '../connection.js';
import { ConnectionController } from '../connection-controller.js';
import type { ServerCore } from '../core.js';
import type { OutFrame } from '../out-frame.js';
import { originAllowed } from '../origin.js';
import { pathnameOf, requestInfo } from '../request-info.js';

/** A WebSocket close reason is at most 123 bytes of UTF-8. */
function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123 ? reason : bytes.subarray(0, 120).toString() + '...';
}

class WebSocketConnection implements Connection {
  readonly transport = 'websocket' as const;

  constructor(private readonly socket: WebSocket) {}

  get pendingBytes(): number {
    return this.socket.bufferedAmount;
  }

  send(frame: OutFrame): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame.text);
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
      this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
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

  private accept(ws: WebSocket, req: IncomingMessage): void {
    this.sockets.add(ws);
    const controller = new ConnectionController(this.core, new WebSocketConnection(ws), requestInfo(req, this.core.options.trustProxy));
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
