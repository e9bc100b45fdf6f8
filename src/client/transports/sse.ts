import { createParser } from 'eventsource-parser';
import { CONNECTION_HEADER, SSE_PATH } from '../../protocol/http.js';
import { httpTransport } from './http-transport.js';
import type { TransportDefinition } from './transport.js';

/**
 * Server-Sent Events down, POST up. The stream is read with `fetch` and `eventsource-parser` rather
 * than the browser's EventSource, so the `hello` (with credentials) travels in the request body, and
 * reconnection stays with the session layer. The first frame the session sends is the `hello`: it opens
 * the stream (`POST {base}/sse`); later frames go up in batched POSTs (`{base}/send`).
 */
export const sse: TransportDefinition = /* @__PURE__ */ httpTransport('sse', async (connection, hello) => {
  let res: Response;
  try {
    res = await connection.request_(SSE_PATH, { method: 'POST', headers: { accept: 'text/event-stream' }, body: hello });
  } catch (error) {
    return connection.fail_((error as Error).message);
  }
  const type = res.headers.get('content-type') ?? '';
  const token = res.headers.get(CONNECTION_HEADER);
  if (!res.ok || !type.startsWith('text/event-stream') || !res.body || !token) {
    return connection.failHttp_(res.status, await res.text().catch(() => ''), ` (${type || 'no content type'})`);
  }
  connection.ready_(res, token);
  const parser = createParser({
    onEvent: (event) => {
      if (!connection.closed_ && (event.event === undefined || event.event === 'message')) connection.handlers_.frame(event.data);
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || connection.closed_) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (error) {
    return connection.fail_(`stream broke: ${(error as Error).message}`);
  }
  connection.fail_('stream ended');
});
