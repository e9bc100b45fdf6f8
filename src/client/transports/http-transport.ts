import { HttpUpstream } from './http-upstream.js';
import type { Transport, TransportContext } from './transport.js';

/**
 * What the SSE and long-polling transports share: the pipe is ready for the `hello` at once (nothing
 * to connect before it), the `hello` opens the downstream request, and every later frame goes up in
 * batched POSTs.
 */
export abstract class HttpTransport implements Transport {
  protected readonly abort = new AbortController();
  protected readonly upstream: HttpUpstream;
  protected closed = false;
  private started = false;

  constructor(
    protected readonly context: TransportContext,
    private readonly name: string,
  ) {
    this.upstream = new HttpUpstream(context.url, (reason) => this.fail(`${name}: ${reason}`));
    queueMicrotask(() => {
      if (!this.closed) context.handlers.open();
    });
  }

  send(text: string): void {
    if (this.closed) return;
    if (this.started) return this.upstream.push(text);
    this.started = true;
    void this.open(text);
  }

  /**
   * Stops reading at once; frames already sent (a `bye`) still go up, and only then does the
   * downstream request end: the server forgets a connection whose stream ends, so a later POST would
   * find nothing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream.finish(() => this.abort.abort());
  }

  /** Opens the downstream with the `hello` and reads it until the connection ends. */
  protected abstract open(hello: string): Promise<void>;

  protected fail(reason: string, code = 1006): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream.stop();
    this.abort.abort();
    this.context.handlers.close(code, reason);
  }

  /** Fails with the status of an HTTP answer that is not the one expected. */
  protected failHttp(status: number, detail: string): void {
    this.fail(`${this.name}: HTTP ${status}${detail}`, status === 413 ? 1009 : 1006);
  }
}
