import type { TransportName } from '../../protocol/frames.js';
import { HttpUpstream } from './http-upstream.js';
import type { TransportContext, TransportDefinition } from './transport.js';

/** One HTTP connection as its downstream reader (SSE or long-polling) sees it. */
export interface HttpConnection {
  readonly context_: TransportContext;
  readonly signal_: AbortSignal;
  /** Closed by the session layer or failed: stop reading. */
  closed_: boolean;
  readonly upstream_: HttpUpstream;
  /** Ends the pipe and reports `{transport}: {reason}` (once). */
  fail_(reason: string, code?: number): void;
  /** Fails with the status of an HTTP answer that is not the one expected; `detail` follows it. */
  failHttp_(status: number, detail: string): void;
}

/**
 * What the SSE and long-polling transports share: the pipe is ready for the `hello` at once (nothing
 * to connect before it), the `hello` opens the downstream request (`open`, which reads it until the
 * connection ends), and every later frame goes up in batched POSTs.
 */
export const httpTransport = (name: TransportName, open: (connection: HttpConnection, hello: string) => Promise<void>): TransportDefinition => ({
  name,
  create(context) {
    const abort = new AbortController();
    let started = false;
    const connection: HttpConnection = {
      context_: context,
      signal_: abort.signal,
      closed_: false,
      upstream_: new HttpUpstream(context.url, (reason) => connection.fail_(reason)),
      fail_(reason, code = 1006) {
        if (connection.closed_) return;
        connection.closed_ = true;
        connection.upstream_.stop_();
        abort.abort();
        context.handlers.close(code, `${name}: ${reason}`);
      },
      failHttp_: (status, detail) => connection.fail_(`HTTP ${status}${detail}`, status === 413 ? 1009 : 1006),
    };
    queueMicrotask(() => connection.closed_ || context.handlers.open());
    return {
      send(text) {
        if (connection.closed_) return;
        if (started) return connection.upstream_.push_(text);
        started = true;
        void open(connection, text);
      },
      // Stops reading at once; frames already sent (a `bye`) still go up, and only then does the
      // downstream request end: the server forgets a connection whose stream ends, so a later POST
      // would find nothing.
      close() {
        if (connection.closed_) return;
        connection.closed_ = true;
        connection.upstream_.finish_(() => abort.abort());
      },
    };
  },
});
