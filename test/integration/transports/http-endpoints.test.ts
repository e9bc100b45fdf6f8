import { afterEach, describe, expect, it } from 'vitest';
import type { FallbackInfo } from '../../../src/client/index.js';
import { connectClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { delay, waitFor } from '../../support/wait.js';

afterEach(closeAll);

const HELLO = '{"t":"hello","v":1}';

/** Reads an SSE response until `until` matches the text so far (or the stream ends). */
async function readUntil(res: Response, until: (text: string) => boolean, timeout = 5000): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeout;
  while (!until(text) && Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

function frames(body: string): { t: string; [key: string]: unknown }[] {
  return body
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { t: string });
}

/** Opens a long-polling connection with a bare hello; returns its token once the welcome is read. */
async function openLongPoll(url: string): Promise<string> {
  const open = await fetch(`${url}/poll`, { method: 'POST', body: HELLO });
  const token = open.headers.get('pushwire-connection')!;
  expect(frames(await open.text())[0]!.t).toBe('welcome');
  return token;
}

/** POSTs `body` upstream on connection `token`. */
function postFrames(url: string, token: string, body: string): Promise<Response> {
  return fetch(`${url}/send`, { method: 'POST', headers: { 'pushwire-connection': token }, body });
}

describe('SSE endpoint', () => {
  it('streams with the headers proxies need, the welcome first, and keepalive comments', async () => {
    const server = await startTestServer({ sseKeepalive: 30 });
    const res = await fetch(`${server.url}/sse`, { method: 'POST', body: HELLO });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('pushwire-connection')).toMatch(/^[\w-]{20,}$/);
    expect(res.headers.get('pushwire-max-body')).toBe('65536');
    const text = await readUntil(res, (t) => t.includes(': ka\n'));
    const data = text.split('\n').filter((line) => line.startsWith('data: '));
    expect(JSON.parse(data[0]!.slice(6))).toMatchObject({ t: 'welcome', resumed: false, tr: ['websocket', 'sse', 'long-polling'] });
    expect(text).toContain(': ka\n\n');
  });

  it('closes the stream with a close frame when the handshake is refused', async () => {
    const server = await startTestServer({ authorize: () => ({ ok: false, reason: 'bad token' }) });
    const res = await fetch(`${server.url}/sse`, { method: 'POST', body: '{"t":"hello","v":1,"auth":"nope"}' });
    const text = await readUntil(res, () => false);
    expect(text).toContain('data: {"t":"close","code":4200,"reason":"bad token"}');
  });

  it('refuses a hello over the max payload with 413 and a clear message', async () => {
    const server = await startTestServer({ maxPayload: 1024 });
    const res = await fetch(`${server.url}/sse`, { method: 'POST', body: JSON.stringify({ t: 'hello', v: 1, auth: 'x'.repeat(2000) }) });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('too_large: request body exceeds the max payload of 1024 bytes');
  });
});

describe('upstream POST endpoint', () => {
  it('answers 404 for an unknown connection, 413 for a body over the max payload, and the connection keeps working', async () => {
    const server = await startTestServer({ maxPayload: 1024, canPublish: () => true });
    const unknown = await fetch(`${server.url}/send`, {
      method: 'POST',
      headers: { 'pushwire-connection': 'nope' },
      body: '{"t":"ping","id":1}',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/^unknown_connection/);

    const token = await openLongPoll(server.url);
    const big = await postFrames(server.url, token, 'x'.repeat(1025));
    expect(big.status).toBe(413);
    expect(await big.text()).toMatch(/^too_large/);
    const ok = await postFrames(server.url, token, '{"t":"ping","id":7}\n{"t":"ping","id":8}');
    expect(ok.status).toBe(204);
    const poll = await fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '1' } });
    expect(frames(await poll.text())).toEqual([
      { t: 'pong', id: 7 },
      { t: 'pong', id: 8 },
    ]);
  });

  it('answers 405 to a wrong method and 404 to a disabled transport', async () => {
    const server = await startTestServer({ transports: ['websocket', 'long-polling'] });
    expect((await fetch(`${server.url}/send`)).status).toBe(405);
    const sse = await fetch(`${server.url}/sse`, { method: 'POST', body: HELLO });
    expect(sse.status).toBe(404);
    expect(await sse.text()).toBe('the sse transport is disabled on this server');
  });

  it('refuses an empty body as a malformed frame (err bad_frame downstream), like an empty WebSocket message', async () => {
    const server = await startTestServer();
    const token = await openLongPoll(server.url);
    const empty = await postFrames(server.url, token, '');
    expect(empty.status).toBe(204);
    const poll = await fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '1' } });
    expect(frames(await poll.text())).toEqual([expect.objectContaining({ t: 'err', code: 'bad_frame' })]);
  });
});

describe('long-polling endpoint', () => {
  it('sends a lost batch again, ends an earlier poll when a second one comes, and answers 204 at the poll timeout', async () => {
    const server = await startTestServer({ pollTimeout: 300 });
    const open = await fetch(`${server.url}/poll`, { method: 'POST', body: HELLO });
    const token = open.headers.get('pushwire-connection')!;
    expect(open.headers.get('pushwire-batch')).toBe('1');
    const welcome = await open.text();
    const poll = (received: number): Promise<Response> =>
      fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': String(received) } });

    // The answer to the open was "lost": a poll that received nothing gets batch 1 again, byte for byte.
    const again = await poll(0);
    expect(again.headers.get('pushwire-batch')).toBe('1');
    expect(await again.text()).toBe(welcome);

    // At most one poll per connection: the second ends the first, empty.
    const first = poll(1);
    await delay(50);
    const second = poll(1);
    expect((await first).status).toBe(204);
    await fetch(`${server.url}/send`, { method: 'POST', headers: { 'pushwire-connection': token }, body: '{"t":"ping","id":3}' });
    const answered = await second;
    expect(answered.headers.get('pushwire-batch')).toBe('2');
    expect(frames(await answered.text())).toEqual([{ t: 'pong', id: 3 }]);

    const started = Date.now();
    const idle = await poll(2);
    expect(idle.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('cuts off a connection that stops polling once its bound is crossed (close 4002); what waits stays bounded', async () => {
    const server = await startTestServer({ outbound: { maxFrames: 20 } });
    const token = await openLongPoll(server.url);
    await postFrames(server.url, token, '{"t":"sub","s":1,"ch":"room"}');
    await delay(50);
    // The client never polls again (and never acknowledges): 100 messages are published meanwhile.
    for (let i = 1; i <= 100; i++) await server.pushwire.publish('room', i);
    const poll = await fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '1' } });
    const got = frames(await poll.text());
    expect(got.length).toBeLessThanOrEqual(25);
    expect(got.at(-1)).toMatchObject({ t: 'close', code: 4002 });
    expect(server.pushwire.stats().sessions).toBe(0);
    const after = await fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '2' } });
    expect(after.status).toBe(404);
  });

  it('batches everything queued into one answer', async () => {
    const server = await startTestServer();
    const token = await openLongPoll(server.url);
    const sub = await postFrames(server.url, token, '{"t":"sub","s":1,"ch":"room"}');
    expect(sub.status).toBe(204);
    await delay(50);
    const subscribed = await fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '1' } });
    expect(frames(await subscribed.text()).map((f) => f.t)).toEqual(['subd', 'ack']);
    for (let i = 1; i <= 50; i++) await server.pushwire.publish('room', i);
    const batch = await fetch(`${server.url}/poll`, { headers: { 'pushwire-connection': token, 'pushwire-received': '2' } });
    const got = frames(await batch.text());
    expect(got.map((f) => f.d)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

describe('origin policy on the HTTP endpoints', () => {
  it('refuses requests from a foreign page origin with 403, like WebSocket upgrades, and accepts the own origin', async () => {
    const server = await startTestServer();
    const foreign = { origin: 'https://evil.example' };
    for (const [path, init] of [
      ['/sse', { method: 'POST', body: HELLO }],
      ['/poll', { method: 'POST', body: HELLO }],
      ['/send', { method: 'POST', body: '{"t":"ping","id":1}' }],
      ['/events?channel=a', {}],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, { ...init, headers: foreign });
      expect(res.status, path).toBe(403);
      expect(await res.text()).toBe('forbidden: origin not allowed');
    }
    const own = await fetch(`${server.url}/poll`, { method: 'POST', body: HELLO, headers: { origin: `http://127.0.0.1:${server.port}` } });
    expect(own.status).toBe(200);
    expect(server.pushwire.stats().counters.limitHits.origin).toBe(4);
  });
});

describe('the hello and its credentials', () => {
  it.each(['sse', 'long-polling'] as const)('never travel in a URL over %s', async (name) => {
    const server = await startTestServer({ authorize: (info) => (info.auth === 'secret-token-123' ? { ok: true } : { ok: false }) });
    const urls: string[] = [];
    server.http.prependListener('request', (req) => urls.push(req.url ?? ''));
    const client = connectClient(server.url, { transports: [TRANSPORTS[name]], auth: 'secret-token-123' });
    await waitFor(() => client.state === 'open', 'open');
    await client.ping();
    expect(urls.length).toBeGreaterThan(1);
    for (const url of urls) expect(url).not.toMatch(/secret|hello/);
  });
});

describe('negotiation against the real server', () => {
  it('falls back past a transport the server disabled, at once, and says why', async () => {
    const server = await startTestServer({ transports: ['long-polling'] });
    const fallbacks: FallbackInfo[] = [];
    let backoffs = 0;
    const client = connectClient(server.url, { transports: [TRANSPORTS.websocket, TRANSPORTS.sse, TRANSPORTS['long-polling']] });
    client.on('fallback', (info) => fallbacks.push(info));
    client.on('reconnecting', () => backoffs++);
    await waitFor(() => client.state === 'open', 'open');
    expect(client.transport).toBe('long-polling');
    expect(backoffs).toBe(0); // each next transport at once, no backoff in between
    expect(fallbacks).toEqual([
      { from: 'websocket', to: 'sse', code: 1006, reason: 'websocket: Unexpected server response: 404' },
      { from: 'sse', to: 'long-polling', code: 1006, reason: expect.stringContaining('HTTP 404') },
    ]);
  });
});
