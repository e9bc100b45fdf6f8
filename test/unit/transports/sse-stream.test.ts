import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { PushwireClient } from '../../../src/client/index.js';
import { sse } from '../../../src/client/transports/sse.js';
import { longPolling } from '../../../src/client/transports/long-polling.js';
import type { TransportHandlers } from '../../../src/client/transports/transport.js';
import { waitFor } from '../../support/wait.js';
import { BASE } from '../fakes/index.js';

const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: 'error' }));
afterEach(() => network.resetHandlers());
afterAll(() => network.close());

function recorder(): { handlers: TransportHandlers; frames: string[]; closes: string[] } {
  const frames: string[] = [];
  const closes: string[] = [];
  return {
    frames,
    closes,
    handlers: { open: () => {}, frame: (text) => frames.push(text), close: (code, reason) => closes.push(`${code} ${reason}`) },
  };
}

it('SSE: reassembles frames split anywhere, even inside a multi-byte character, and skips comments and other events', async () => {
  const text = ': hello\n\ndata: {"t":"msg","d":"héllo ✓ 😀"}\n\nevent: other\ndata: ignored\n\n: ka\n\ndata: {"t":"ping"}\n\n';
  const bytes = new TextEncoder().encode(text);
  network.use(
    http.post(`${BASE}/sse`, () => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          // One byte at a time: every split point, including inside the 2-, 3- and 4-byte characters.
          for (let i = 0; i < bytes.length; i++) controller.enqueue(bytes.slice(i, i + 1));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream', 'pushwire-connection': 'c1' } });
    }),
  );
  const { handlers, frames, closes } = recorder();
  const pipe = sse.create({ url: BASE, handlers });
  pipe.send('{"t":"hello","v":1}');
  await waitFor(() => closes.length === 1, 'the close', 5_000);
  expect(frames).toEqual(['{"t":"msg","d":"héllo ✓ 😀"}', '{"t":"ping"}']);
  expect(closes).toEqual(['1006 sse: stream ended']);
});

it("SSE: a response that is not an event stream fails the pipe with the status and the server's words", async () => {
  network.use(http.post(`${BASE}/sse`, () => new HttpResponse('the sse transport is disabled on this server', { status: 404 })));
  const { handlers, closes } = recorder();
  sse.create({ url: BASE, handlers }).send('{"t":"hello","v":1}');
  await waitFor(() => closes.length === 1, 'the close', 5_000);
  expect(closes[0]).toBe('1006 sse: HTTP 404 (text/plain;charset=UTF-8): the sse transport is disabled on this server');
});

it('long-polling: a 413 on the open fails the pipe with 1009 and the reason', async () => {
  network.use(
    http.post(`${BASE}/poll`, () => new HttpResponse('too_large: request body exceeds the max payload of 10 bytes', { status: 413 })),
  );
  const { handlers, closes } = recorder();
  longPolling.create({ url: BASE, handlers }).send('{"t":"hello","v":1}');
  await waitFor(() => closes.length === 1, 'the close', 5_000);
  expect(closes[0]).toBe('1009 long-polling: HTTP 413: too_large: request body exceeds the max payload of 10 bytes');
});

it('a stream that goes silent after the welcome is declared dead by the heartbeat deadline, and the client resumes', async () => {
  let opens = 0;
  const hellos: string[] = [];
  const sent: string[] = [];
  network.use(
    http.post(`${BASE}/sse`, async ({ request }) => {
      opens++;
      hellos.push(await request.text());
      const welcome = `data: ${JSON.stringify({ t: 'welcome', v: 1, sid: 'S', secret: 'K', resumed: opens > 1, rx: 0, hb: 100, max: 65536, tr: ['sse'] })}\n\n`;
      // Then nothing at all: no pings, no keepalives (a half-dead connection).
      const stream = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(new TextEncoder().encode(welcome)) });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream', 'pushwire-connection': `c${opens}` } });
    }),
    http.post(`${BASE}/send`, async ({ request }) => {
      sent.push(await request.text());
      return new HttpResponse(null, { status: 204 });
    }),
    // The goodbye of an HTTP transport goes in a request of its own (a beacon), not on the connection.
    http.post(`${BASE}/bye`, async ({ request }) => {
      sent.push(await request.text());
      return new HttpResponse(null, { status: 204 });
    }),
  );
  const client = new PushwireClient(BASE, {
    transports: [sse],
    transportMemory: false,
    heartbeatGrace: 50,
    reconnect: { min: 10, max: 20 },
  });
  const reasons: string[] = [];
  client.on('reconnecting', (info) => reasons.push(`${info.code} ${info.reason}`));
  await waitFor(() => opens >= 2 && client.state === 'open', 'open again', 5_000);
  client.close();
  await waitFor(() => sent.includes('{"t":"bye","sid":"S","secret":"K"}'), 'the goodbye', 5_000);
  expect(reasons[0]).toBe('4001 heartbeat timeout');
  expect(JSON.parse(hellos[1]!)).toEqual({ t: 'hello', v: 1, sid: 'S', secret: 'K', rx: 0 });
});
