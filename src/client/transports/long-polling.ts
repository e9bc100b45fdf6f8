import { BATCH_HEADER, CONNECTION_HEADER, POLL_PATH, RECEIVED_HEADER } from '../../protocol/http.js';
import { httpTransport } from './http-transport.js';
import type { TransportDefinition } from './transport.js';

/**
 * Long-polling: `POST {base}/poll` with the `hello` opens the connection and is answered like a poll;
 * then one `GET {base}/poll` at a time waits for the server's next batch (newline-separated frames).
 * Each poll says the last batch number received, so when a poll's answer is lost on the way the
 * transport polls again at once and the server sends that batch again; nothing is lost or doubled.
 * Frames up go in batched POSTs to `{base}/send`, as with SSE.
 */
export const longPolling: TransportDefinition = /* @__PURE__ */ httpTransport('long-polling', async (connection, hello) => {
  let token = '';
  let received = 0;
  let body: string | undefined = hello;
  /** Polls lost on the way in a row (one is tried again at once; a second fails the pipe). */
  let lostPolls = 0;
  while (!connection.closed_) {
    let res: Response;
    let text: string;
    try {
      res = await connection.request_(POLL_PATH, {
        method: body ? 'POST' : 'GET',
        headers: body ? {} : { [CONNECTION_HEADER]: token, [RECEIVED_HEADER]: String(received) },
        body,
      });
      text = await res.text();
    } catch (error) {
      // A poll lost on the way is tried once more at once; a failed open is a failed attempt.
      if (body || lostPolls > 0) connection.fail_(`${body ? 'open' : 'poll'} failed: ${(error as Error).message}`);
      lostPolls++;
      continue;
    }
    body = undefined;
    lostPolls = 0;
    if (connection.closed_ || res.status === 204) continue;
    if (res.status !== 200) return connection.failHttp_(res.status, text);
    if (token === '') {
      token = res.headers.get(CONNECTION_HEADER) ?? '';
      if (token === '') return connection.fail_('no connection token');
      connection.ready_(res, token);
    }
    const batch = Number(res.headers.get(BATCH_HEADER));
    if (!(batch > received)) continue; // a batch seen before
    received = batch;
    for (const line of text.split('\n')) {
      if (connection.closed_) return;
      if (line) connection.handlers_.frame(line);
    }
  }
});
