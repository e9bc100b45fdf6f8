import { createParser } from 'eventsource-parser';
import { HttpHeader, HttpPath } from '../../protocol/http.js';
import { HttpUpstream } from './http-upstream.js';
import type { Transport, TransportContext, TransportDefinition } from './transport.js';

/**
 * Server-Sent Events down, POST up. The stream is read with `fetch` and `eventsource-parser` rather
 * than the browser's EventSource, so the `hello` (with credentials) travels in the request body, and
 * reconnection stays with the session layer. The first frame the session sends is the `hello`: it opens
 * the stream (`POST {base}/sse`); later frames go up in batched POSTs (`{base}/send`).
 */
class SseTransport implements Transport {
  private readonly abort = new AbortController();
  private readonly upstream: HttpUpstream;
  private started = false;
  private closed = false;

  constructor(private readonly context: TransportContext) {
    this.upstream = new HttpUpstream(context.url, (reason) => this.fail(`sse: ${reason}`));
    // Nothing to connect before the hello: the pipe is ready for it at once.
    queueMicrotask(() => {
      if (!this.closed) context.handlers.open();
    });
  }

  send(text: string): void {
    if (this.closed) return;
    if (this.started) return this.upstream.push(text);
    this.started = true;
    void this.stream(text);
  }

  /**
   * Stops reading at once; frames already sent (a `bye`) still go up, and only then does the stream
   * end: the server forgets the connection when its stream ends, and a later POST would find nothing.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream.finish(() => this.abort.abort());
  }

  private fail(reason: string, code = 1006): void {
    if (this.closed) return;
    this.closed = true;
    this.upstream.stop();
    this.abort.abort();
    this.context.handlers.close(code, reason);
  }

  private async stream(hello: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.context.url}${HttpPath.sse}`, {
        method: 'POST',
        headers: { accept: 'text/event-stream', 'content-type': 'text/plain;charset=UTF-8' },
        body: hello,
        cache: 'no-store',
        signal: this.abort.signal,
      });
    } catch (error) {
      return this.fail(`sse: request failed: ${(error as Error).message}`);
    }
    const type = res.headers.get('content-type') ?? '';
    const token = res.headers.get(HttpHeader.connection);
    if (!res.ok || !type.startsWith('text/event-stream') || !res.body || !token) {
      const text = await res.text().catch(() => '');
      return this.fail(`sse: HTTP ${res.status} (${type || 'no content type'}): ${text.slice(0, 200)}`, res.status === 413 ? 1009 : 1006);
    }
    this.upstream.ready(token, Number(res.headers.get(HttpHeader.maxBody)));
    const parser = createParser({
      onEvent: (event) => {
        if (!this.closed && (event.event === undefined || event.event === 'message')) this.context.handlers.frame(event.data);
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.closed) break;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      return this.fail(`sse: stream broke: ${(error as Error).message}`);
    }
    this.fail('sse: the server ended the stream');
  }
}

export const sse: TransportDefinition = {
  name: 'sse',
  create: (context) => new SseTransport(context),
};
