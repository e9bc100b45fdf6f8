import { HttpHeader, HttpPath } from '../../protocol/http.js';
import { HttpUpstream } from './http-upstream.js';
import type { Transport, TransportContext, TransportDefinition } from './transport.js';

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
class LongPollingTransport implements Transport {
  private readonly abort = new AbortController();
  private readonly upstream: HttpUpstream;
  private token = '';
  private received = 0;
  private started = false;
  private closed = false;

  constructor(private readonly context: TransportContext) {
    this.upstream = new HttpUpstream(context.url, (reason) => this.fail(`long-polling: ${reason}`));
    queueMicrotask(() => {
      if (!this.closed) context.handlers.open();
    });
  }

  send(text: string): void {
    if (this.closed) return;
    if (this.started) return this.upstream.push(text);
    this.started = true;
    void this.run(text);
  }

  /** Stops reading at once; frames already sent (a `bye`) still go up. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream.finish();
    this.abort.abort();
  }

  private fail(reason: string, code = 1006): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream.stop();
    this.abort.abort();
    this.context.handlers.close(code, reason);
  }

  private async run(hello: string): Promise<void> {
    let body: string | undefined = hello;
    while (!this.closed) {
      const result = await this.poll(body);
      body = undefined;
      if (!result || this.closed) return;
      if (result.status === 204) continue;
      if (result.status !== 200) {
        return this.fail(`long-polling: HTTP ${result.status}: ${result.text.slice(0, 200)}`, result.status === 413 ? 1009 : 1006);
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
