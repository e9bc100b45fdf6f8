import { HttpHeader, HttpPath } from '../../protocol/http.js';
import { HttpTransport } from './http-transport.js';
import type { TransportContext, TransportDefinition } from './transport.js';

interface PollResult {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Long-polling: `POST {base}/poll` with the `hello` opens the connection and is answered like a poll;
 * then one `GET {base}/poll` at a time waits for the server's next batch (newline-separated frames).
 * Each poll says the last batch number received, so when a poll's answer is lost on the way the
 * transport polls again at once and the server sends that batch again; nothing is lost or doubled.
 * Frames up go in batched POSTs to `{base}/send`, as with SSE.
 */
class LongPollingTransport extends HttpTransport {
  private token = '';
  private received = 0;

  constructor(context: TransportContext) {
    super(context, 'long-polling');
  }

  protected async open(hello: string): Promise<void> {
    let body: string | undefined = hello;
    while (!this.closed) {
      const result = await this.poll(body);
      body = undefined;
      if (!result || this.closed) return;
      if (result.status === 204) continue;
      if (result.status !== 200) {
        return this.failHttp(result.status, `: ${result.text.slice(0, 200)}`);
      }
      if (this.token === '') {
        this.token = result.headers.get(HttpHeader.connection) ?? '';
        if (this.token === '') return this.fail('long-polling: the server named no connection');
        this.upstream.ready(this.token, Number(result.headers.get(HttpHeader.maxBody)));
      }
      const batch = Number(result.headers.get(HttpHeader.batch));
      if (!(batch > this.received)) continue; // a batch seen before
      this.received = batch;
      for (const line of result.text.split('\n')) {
        if (this.closed) return;
        if (line !== '') this.context.handlers.frame(line);
      }
    }
  }

  /** One poll (the opening POST when `hello` is given). A poll lost on the way is tried once more at once. */
  private async poll(hello: string | undefined): Promise<PollResult | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const headers: Record<string, string> = hello === undefined ? { [HttpHeader.connection]: this.token, [HttpHeader.received]: String(this.received) } : { 'content-type': 'text/plain;charset=UTF-8' };
        const res = await fetch(`${this.context.url}${HttpPath.poll}`, {
          method: hello === undefined ? 'GET' : 'POST',
          headers,
          body: hello ?? null,
          cache: 'no-store',
          signal: this.abort.signal,
        });
        return { status: res.status, headers: res.headers, text: await res.text() };
      } catch (error) {
        if (this.closed) return null;
        // Only a poll of a known connection can be asked again; a failed open is a failed attempt.
        if (hello !== undefined || attempt >= 1) {
          this.fail(`long-polling: ${hello === undefined ? 'poll' : 'open'} failed: ${(error as Error).message}`);
          return null;
        }
      }
    }
  }
}

export const longPolling: TransportDefinition = {
  name: 'long-polling',
  create: (context) => new LongPollingTransport(context),
};
