import { BATCH_HEADER, CONNECTION_HEADER, MAX_BODY_HEADER, POLL_PATH, RECEIVED_HEADER } from '../../protocol/http.js';
import { httpRequest } from './http-request.js';
import { HTTP_RECEIPTS, HttpTransport } from './http-transport.js';
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
  private token_ = '';
  private received_ = 0;

  constructor(context: TransportContext) {
    super(context, 'long-polling');
  }

  protected async open_(hello: string): Promise<void> {
    let body: string | undefined = hello;
    while (!this.closed_) {
      const result = await this.poll_(body);
      body = undefined;
      if (!result || this.closed_) return;
      if (result.status === 204) continue;
      if (result.status !== 200) {
        return this.failHttp_(result.status, `: ${result.text.slice(0, 200)}`);
      }
      if (this.token_ === '') {
        this.token_ = result.headers.get(CONNECTION_HEADER) ?? '';
        if (this.token_ === '') return this.fail_('long-polling: no connection token');
        this.upstream_.ready_(this.token_, Number(result.headers.get(MAX_BODY_HEADER)));
      }
      const batch = Number(result.headers.get(BATCH_HEADER));
      if (!(batch > this.received_)) continue; // a batch seen before
      this.received_ = batch;
      for (const line of result.text.split('\n')) {
        if (this.closed_) return;
        if (line !== '') this.context_.handlers.frame(line);
      }
    }
  }

  /** One poll (the opening POST when `hello` is given). A poll lost on the way is tried once more at once. */
  private async poll_(hello: string | undefined): Promise<PollResult | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await httpRequest(this.context_.url, POLL_PATH, {
          method: hello === undefined ? 'GET' : 'POST',
          headers: hello === undefined ? { [CONNECTION_HEADER]: this.token_, [RECEIVED_HEADER]: String(this.received_) } : {},
          body: hello ?? null,
          signal: this.abort_.signal,
        });
        return { status: res.status, headers: res.headers, text: await res.text() };
      } catch (error) {
        if (this.closed_) return null;
        // Only a poll of a known connection can be asked again; a failed open is a failed attempt.
        if (hello !== undefined || attempt >= 1) {
          this.fail_(`long-polling: ${hello === undefined ? 'poll' : 'open'} failed: ${(error as Error).message}`);
          return null;
        }
      }
    }
  }
}

export const longPolling: TransportDefinition = {
  name: 'long-polling',
  create: (context) => new LongPollingTransport(context),
  receipts: HTTP_RECEIPTS,
};
