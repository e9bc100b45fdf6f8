import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Connection } from '../connection.js';
import { ConnectionController } from '../connection-controller.js';
import type { ServerCore } from '../core.js';
import type { OutFrame } from '../out-frame.js';
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

  /** Takes the upgrade if it is for this endpoint; returns false to leave it to others. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (pathnameOf(req) !== this.pathname) return false;
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    return true;
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    this.server.close();
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    this.sockets.add(ws);
    const controller = new ConnectionController(this.core, new WebSocketConnection(ws), requestInfo(req));
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
