import { HttpUpstream } from './http-upstream.js';
import type { ReceiptPacing, Transport, TransportContext } from './transport.js';

/**
 * Over SSE and long-polling every receipt is an HTTP POST (a WebSocket `ack` is a few bytes), so they
 * are spaced further: the server keeps up to 512 frames per session instead of 128 (well inside its
 * outbound bound of 5,000), and one POST covers 4× as many deliveries. The timer (1.5–4.5 s with its
 * jitter) stays under Node's default 5 s keep-alive timeout, so the POST's connection is still open
 * for the next one instead of costing a new TCP (and TLS) handshake per receipt.
 */
export const HTTP_RECEIPTS: ReceiptPacing = { every: 512, delay: 3000 };

/**
 * What the SSE and long-polling transports share: the pipe is ready for the `hello` at once (nothing
 * to connect before it), the `hello` opens the downstream request, and every later frame goes up in
 * batched POSTs.
 */
export abstract class HttpTransport implements Transport {
  protected readonly abort_ = new AbortController();
  protected readonly upstream_: HttpUpstream;
  protected closed_ = false;
  private started_ = false;

  constructor(
    protected readonly context_: TransportContext,
    private readonly name_: string,
  ) {
    this.upstream_ = new HttpUpstream(context_.url, (reason) => this.fail_(`${name_}: ${reason}`));
    queueMicrotask(() => {
      if (!this.closed_) context_.handlers.open();
    });
  }

  send(text: string): void {
    if (this.closed_) return;
    if (this.started_) return this.upstream_.push_(text);
    this.started_ = true;
    void this.open_(text);
  }

  /**
   * Stops reading at once; frames already sent (a `bye`) still go up, and only then does the
   * downstream request end: the server forgets a connection whose stream ends, so a later POST would
   * find nothing.
   */
  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    this.upstream_.finish_(() => this.abort_.abort());
  }

  /** Opens the downstream with the `hello` and reads it until the connection ends. */
  protected abstract open_(hello: string): Promise<void>;

  protected fail_(reason: string, code = 1006): void {
    if (this.closed_) return;
    this.closed_ = true;
    this.upstream_.stop_();
    this.abort_.abort();
    this.context_.handlers.close(code, reason);
  }

  /** Fails with the status of an HTTP answer that is not the one expected. */
  protected failHttp_(status: number, detail: string): void {
    this.fail_(`${this.name_}: HTTP ${status}${detail}`, status === 413 ? 1009 : 1006);
  }
}
