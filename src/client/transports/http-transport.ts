import type { TransportName } from '../../protocol/frames.js';
import { MAX_BODY_HEADER } from '../../protocol/http.js';
import { httpRequest } from './http-request.js';
import { httpUpstream } from './http-upstream.js';
import type { ReceiptPacing, TransportDefinition, TransportHandlers } from './transport.js';

/**
 * Over SSE and long-polling every receipt is an HTTP POST (a WebSocket `ack` is a few bytes), so they
 * are spaced further: the server keeps up to 512 frames per session instead of 128 (well inside its
 * outbound bound of 5,000), and one POST covers 4× as many deliveries. The timer (1.5–4.5 s with its
 * jitter) stays under Node's default 5 s keep-alive timeout, so the POST's connection is still open
 * for the next one instead of costing a new TCP (and TLS) handshake per receipt.
 */
export const HTTP_RECEIPTS: ReceiptPacing = { every: 512, delay: 3000 };

/** One HTTP connection as its downstream reader (SSE or long-polling) sees it. */
export interface HttpConnection {
  readonly handlers_: TransportHandlers;
  /** Closed by the session layer or failed: stop reading. */
  closed_: boolean;
  /** A request of this connection to `{base}{path}` (aborted when the connection ends). */
  request_(path: string, init: RequestInit): Promise<Response>;
  /** The downstream is open (`res` named the connection `token`): frames may go up. */
  ready_(res: Response, token: string): void;
  /** Ends the pipe and reports `{transport}: {reason}` (once). */
  fail_(reason: string, code?: number): void;
  /** Fails with the status of an HTTP answer that is not the one expected, `detail`, and the start of its body. */
  failHttp_(status: number, body: string, detail?: string): void;
}

/**
 * What the SSE and long-polling transports share: the pipe is ready for the `hello` at once (nothing
 * to connect before it), the `hello` opens the downstream request (`open`, which reads it until the
 * connection ends), and every later frame goes up in batched POSTs. Receipts are paced as
 * HTTP_RECEIPTS says.
 */
export function httpTransport(
  name: TransportName,
  open: (connection: HttpConnection, hello: string) => Promise<void>,
): TransportDefinition {
  return {
    name,
    receipts: HTTP_RECEIPTS,
    connectTimeout: 10_000,
    create({ url, handlers }) {
      let started = false;
      const upstream = httpUpstream(url, (reason) => connection.fail_(reason));
      const connection: HttpConnection = {
        handlers_: handlers,
        closed_: false,
        request_: (path, init) => httpRequest(url, path, { ...init, signal: upstream.signal_ }),
        ready_: (res, token) => upstream.ready_(token, Number(res.headers.get(MAX_BODY_HEADER))),
        fail_(reason, code = 1006) {
          if (connection.closed_) return;
          connection.closed_ = true;
          upstream.stop_();
          handlers.close(code, `${name}: ${reason}`);
        },
        failHttp_: (status, body, detail = '') =>
          connection.fail_(`HTTP ${status}${detail}: ${body.slice(0, 200)}`, status === 413 ? 1009 : 1006),
      };
      queueMicrotask(() => {
        if (!connection.closed_) handlers.open();
      });
      return {
        send(text) {
          if (connection.closed_) return;
          if (started) return upstream.push_(text);
          started = true;
          void open(connection, text);
        },
        // Stops reading at once; frames already sent (a `bye`) still go up, and only then does the
        // downstream request end (the upstream's stop aborts it): the server forgets a connection whose
        // stream ends, so a later POST would find nothing.
        close() {
          if (connection.closed_) return;
          connection.closed_ = true;
          upstream.finish_();
        },
      };
    },
  };
}
