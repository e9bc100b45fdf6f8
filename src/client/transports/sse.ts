import { createParser } from 'eventsource-parser';
import { CONNECTION_HEADER, MAX_BODY_HEADER, SSE_PATH } from '../../protocol/http.js';
import { httpRequest } from './http-request.js';
import { HTTP_RECEIPTS, HttpTransport } from './http-transport.js';
import type { TransportContext, TransportDefinition } from './transport.js';

/**
 * Server-Sent Events down, POST up. The stream is read with `fetch` and `eventsource-parser` rather
 * than the browser's EventSource, so the `hello` (with credentials) travels in the request body, and
 * reconnection stays with the session layer. The first frame the session sends is the `hello`: it opens
 * the stream (`POST {base}/sse`); later frames go up in batched POSTs (`{base}/send`).
 */
class SseTransport extends HttpTransport {
  constructor(context: TransportContext) {
    super(context, 'sse');
  }

  protected async open_(hello: string): Promise<void> {
    let res: Response;
    try {
      res = await httpRequest(this.context_.url, SSE_PATH, {
        method: 'POST',
        headers: { accept: 'text/event-stream' },
        body: hello,
        signal: this.abort_.signal,
      });
    } catch (error) {
      return this.fail_(`sse: ${(error as Error).message}`);
    }
    const type = res.headers.get('content-type') ?? '';
    const token = res.headers.get(CONNECTION_HEADER);
    if (!res.ok || !type.startsWith('text/event-stream') || !res.body || !token) {
      const text = await res.text().catch(() => '');
      return this.failHttp_(res.status, ` (${type || 'no content type'}): ${text.slice(0, 200)}`);
    }
    this.upstream_.ready_(token, Number(res.headers.get(MAX_BODY_HEADER)));
    const parser = createParser({
      onEvent: (event) => {
        if (!this.closed_ && (event.event === undefined || event.event === 'message')) this.context_.handlers.frame(event.data);
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.closed_) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      return this.fail_(`sse: stream broke: ${(error as Error).message}`);
    }
    this.fail_('sse: stream ended');
  }
}

export const sse: TransportDefinition = {
  name: 'sse',
  create: (context) => new SseTransport(context),
  receipts: HTTP_RECEIPTS,
};
