import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpHeader } from '../../protocol/http.js';
import { ConnectionController } from '../connection-controller.js';
import type { ServerCore } from '../core.js';
import { closeFrame } from '../frames.js';
import type { RequestInfo } from '../options.js';
import type { OutFrame } from '../out-frame.js';
import { flushAtTickEnd } from '../tick-end.js';
import type { HttpConnection, HttpConnectionLimits } from './http-connections.js';

/** One server frame as one SSE message event (JSON never contains a raw newline, so one `data:` line). */
export function sseEvent(text: string): string {
  return `data: ${text}\n\n`;
}

/** The event's bytes, made once per frame and cached on it: a broadcast is encoded once, not per stream. */
function sseEventBytes(text: string): Buffer {
  return Buffer.from(sseEvent(text));
}

/** Key of the SSE event bytes cached on each OutFrame. */
const SSE_EVENT = 'sse';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // no-transform: proxies must not compress or rewrite the stream (that buffers it).
  'cache-control': 'no-cache, no-transform',
  // nginx: do not buffer this response even where proxy_buffering is on.
  'x-accel-buffering': 'no',
} as const;

function uncork(connection: SseConnection): void {
  connection.uncork();
}

/**
 * An SSE connection: server frames go down one long response as `data:` events; client frames
 * arrive in POSTs to `{path}/send` naming this connection's token. The first client frame, `hello`,
 * came in the body of the request that opened the stream.
 */
export class SseConnection implements HttpConnection {
  readonly transport = 'sse' as const;
  readonly controller: ConnectionController;
  private ended = false;
  /**
   * The response's TCP socket, written to directly (see send), or null: then events go through
   * `res.write`, as when something wrapped it (a compression middleware) or the response still
   * waits behind another one on a pipelined connection.
   */
  private readonly socket: Socket | null;
  private corked = false;

  constructor(
    readonly token: string,
    private readonly res: ServerResponse,
    core: ServerCore,
    request: RequestInfo,
    private readonly limits: HttpConnectionLimits,
    private readonly onEnd: (connection: SseConnection) => void,
  ) {
    this.controller = new ConnectionController(core, this, request);
    // The stream is the whole connection: its end is the connection's end, so it needs no chunked
    // framing, and each event is one write of the cached bytes instead of four (size, CRLF, data, CRLF).
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, { ...SSE_HEADERS, [HttpHeader.connection]: token, [HttpHeader.maxBody]: String(core.options.maxPayload) });
    // A first comment line pushes the headers out now, so the client sees the stream open.
    res.write(': pushwire\n\n');
    // Once the headers are in the socket (nothing left queued in the response itself), the body is the
    // socket's byte stream (no chunking): events can go to it directly, like WebSocket frames.
    const socket = res.socket;
    const direct = socket !== null && res.write === ServerResponse.prototype.write && res.writableLength === socket.writableLength;
    this.socket = direct ? socket : null;
    res.on('close', () => this.end());
  }

  get pendingBytes(): number {
    return this.res.writableLength;
  }

  /** Frames from an upstream POST, in order. */
  receive(text: string): void {
    if (!this.ended) this.controller.onText(text);
  }

  /**
   * Writes the event's shared bytes. Straight to the socket, corked from the first write of a tick to
   * its end (a burst leaves in one write), skipping `res.write`'s per-call work; order with the
   * response's own writes (keepalive comments, the final close event) is the socket's order.
   */
  send(frame: OutFrame): void {
    if (this.ended) return;
    const bytes = frame.encoded(SSE_EVENT, sseEventBytes);
    const socket = this.socket;
    if (socket) {
      if (!this.corked) {
        this.corked = true;
        socket.cork();
        flushAtTickEnd(uncork, this);
      }
      socket.write(bytes);
    } else {
      this.res.write(bytes);
    }
    // The socket's buffer is this connection's queue: past the bound the client is not reading fast
    // enough. Cut it off; it resumes the session and gets everything it missed from the session buffer.
    if (this.res.writableLength > this.limits.maxBytes) this.res.destroy();
  }

  uncork(): void {
    this.corked = false;
    this.socket?.uncork();
  }

  keepalive(): void {
    if (!this.ended) this.res.write(': ka\n\n');
  }

  shutdown(): void {
    this.close(4000, 'server shutting down');
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.res.end(sseEvent(closeFrame(code, reason).text));
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
    this.controller.onClose();
  }
}
