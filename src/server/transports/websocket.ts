import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type Server, WebSocket, WebSocketServer } from 'ws';
import type { Connection } from '../connection.js';
import { ConnectionController } from '../connection-controller.js';
import type { ServerCore } from '../core.js';
import type { OutFrame } from '../out-frame.js';
import { originAllowed } from '../origin.js';
import { requestInfo } from '../request-info.js';
import { textFrame } from './websocket-frame.js';
import { flushAtTickEnd } from '../tick-end.js';
import { eachFrame } from '../frame-lines.js';
import type { Endpoint } from './endpoint.js';

/** The WebSocket endpoint's path below the server's path. */
const WS_ROUTE = '/ws';

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

/**
 * The `ws` socket of a Pushwire connection. It carries its controller and endpoint, so the listeners
 * are three shared functions instead of three closures (and their context) per idle connection.
 */
class PushwireSocket extends WebSocket {
  controller: ConnectionController | null = null;
  endpoint: WebSocketEndpoint | null = null;
}

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const socket = this as PushwireSocket;
  if (isBinary) {
    socket.close(1003, 'pushwire frames are JSON text');
    return;
  }
  const controller = socket.controller;
  if (controller) eachFrame(data.toString(), (frame) => controller.onText(frame));
}

function onSocketClose(this: WebSocket): void {
  const socket = this as PushwireSocket;
  socket.endpoint?.forget(socket);
  socket.controller?.onClose();
}

function onSocketError(this: WebSocket, error: Error): void {
  (this as PushwireSocket).endpoint?.core.logger.debug('websocket error', { error: error.message });
}

/**
 * The WebSocket endpoint at `{path}/ws`, on the `ws` package. When the websocket transport is off,
 * it leaves upgrades to others.
 */
export class WebSocketEndpoint implements Endpoint {
  private readonly server: Server<typeof PushwireSocket>;
  private readonly sockets = new Set<WebSocket>();

  constructor(
    readonly core: ServerCore,
    private readonly enabled: boolean,
  ) {
    // Frames up to twice the max payload reach the session layer, which refuses them with a clear
    // `too_large` error naming the frame; beyond that `ws` closes with 1009 before buffering more.
    this.server = new WebSocketServer<typeof PushwireSocket>({
      WebSocket: PushwireSocket,
      noServer: true,
      maxPayload: core.options.maxPayload * 2,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  private closing = false;

  /** A plain request for the WebSocket endpoint: 426. */
  handleRequest(_req: IncomingMessage, res: ServerResponse, route: string): boolean {
    if (route !== WS_ROUTE) return false;
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('this endpoint needs a WebSocket upgrade');
    return true;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: string): boolean {
    if (route !== WS_ROUTE || !this.enabled) return false;
    if (this.closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\r\n');
    } else if (!originAllowed(req, this.core.options.allowedOrigins, this.core.options.trustProxy)) {
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
      Promise.all(
        open.map((socket) =>
          socket.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => socket.once('close', resolve)),
        ),
      ),
      new Promise((resolve) => setTimeout(resolve, grace).unref()),
    ]);
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    this.server.close();
  }

  /** The socket closed. */
  forget(socket: WebSocket): void {
    this.sockets.delete(socket);
  }

  private accept(ws: PushwireSocket, raw: Duplex, req: IncomingMessage): void {
    this.sockets.add(ws);
    ws.endpoint = this;
    ws.controller = new ConnectionController(this.core, new WebSocketConnection(ws, raw), requestInfo(req, this.core.options.trustProxy));
    ws.on('message', onSocketMessage);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
  }
}
