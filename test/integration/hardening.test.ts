import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { PushwireClient, ReconnectInfo } from '../../src/client/index.js';
import { connectClient, openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

afterEach(closeAll);

/** Opens a raw WebSocket with the given headers; resolves with the HTTP status of a refused upgrade, or 101. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => {});
  });
}

describe('origin checks (cross-site WebSocket hijacking)', () => {
  it('by default accepts the server’s own origin and non-browser clients, and refuses other origins with 403', async () => {
    const server = await startTestServer();
    const host = `127.0.0.1:${server.port}`;
    expect(await upgradeStatus(server.url, {})).toBe(101);
    expect(await upgradeStatus(server.url, { Origin: `http://${host}` })).toBe(101);
    expect(await upgradeStatus(server.url, { Origin: 'https://evil.example' })).toBe(403);
    expect(server.pushwire.stats().counters.limitHits.origin).toBe(1);
  });

  it('by default refuses the server’s own host under another scheme: an https:// page is not the origin of an http server', async () => {
    const server = await startTestServer();
    const host = `127.0.0.1:${server.port}`;
    expect(await upgradeStatus(server.url, { Origin: `https://${host}` })).toBe(403);
    // Behind a proxy that terminates TLS, the scheme the page used is the proxy's X-Forwarded-Proto,
    // believed only when the server trusts its proxy.
    expect(await upgradeStatus(server.url, { Origin: `https://${host}`, 'X-Forwarded-Proto': 'https' })).toBe(403);
    const proxied = await startTestServer({ trustProxy: true });
    const proxiedHost = `127.0.0.1:${proxied.port}`;
    expect(await upgradeStatus(proxied.url, { Origin: `https://${proxiedHost}`, 'X-Forwarded-Proto': 'https' })).toBe(101);
    expect(await upgradeStatus(proxied.url, { Origin: `http://${proxiedHost}`, 'X-Forwarded-Proto': 'https' })).toBe(403);
    expect(await upgradeStatus(proxied.url, { Origin: `http://${proxiedHost}` })).toBe(101);
  });

  it('accepts exactly the origins of an allowlist', async () => {
    const server = await startTestServer({ allowedOrigins: ['https://app.example'] });
    expect(await upgradeStatus(server.url, { Origin: 'https://app.example' })).toBe(101);
    expect(await upgradeStatus(server.url, { Origin: `http://127.0.0.1:${server.port}` })).toBe(403);
  });
});

describe('limits', () => {
  it('refuses sessions beyond maxSessionsPerAddress with 4005 (retry later) and counts it', async () => {
    const server = await startTestServer({ limits: { maxSessionsPerAddress: 2 } });
    await openClient(server.url);
    await openClient(server.url);
    const third = connectClient(server.url);
    const reconnects: ReconnectInfo[] = [];
    third.on('reconnecting', (info) => reconnects.push(info));
    await waitFor(() => reconnects.length > 0, 'third refused');
    expect(reconnects[0]).toMatchObject({ code: 4005 });
    expect(server.pushwire.stats().counters.limitHits.sessions_per_address).toBeGreaterThan(0);
    expect(server.pushwire.stats().sessions).toBe(2);
  });

  it('refuses a subscription beyond maxSubscriptions with limit_exceeded', async () => {
    const server = await startTestServer({ limits: { maxSubscriptions: 2 } });
    const client = await openClient(server.url);
    const errors: string[] = [];
    let ok = 0;
    for (const channel of ['a', 'b', 'c'])
      client.subscribe(channel, { onSubscribed: () => ok++, onError: (error) => errors.push(error.code) });
    await waitFor(() => ok + errors.length === 3, 'all answered');
    expect(ok).toBe(2);
    expect(errors).toEqual(['limit_exceeded']);
  });

  it('throttles a flooding client with rate_limited, then cuts it off with 4004, while another client is served normally', async () => {
    const server = await startTestServer({ canPublish: () => true, limits: { framesPerSecond: 50, frameBurst: 100 } });
    const flooder = await openClient(server.url, { queue: { maxFrames: 10_000 } });
    const cuts: number[] = [];
    flooder.on('reconnecting', (info) => cuts.push(info.code));
    const calm: PushwireClient = await openClient(server.url);
    const got: number[] = [];
    calm.subscribe<number>('calm', (n) => got.push(n));
    await waitFor(() => server.pushwire.stats().channels === 1, 'subscribed');
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => flooder.publish('flood', i)));
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'rate_limited').length;
    // The burst passed, a burst's worth was refused, then the connection was cut; the rest went through
    // at the sustained rate over the reconnections (the client resends what was not acknowledged).
    expect(refused).toBeGreaterThanOrEqual(100);
    expect(cuts).toContain(4004);
    for (let i = 0; i < 10; i++) await calm.publish('calm', i);
    await waitFor(() => got.length === 10, 'the calm client is unaffected');
    expect(server.pushwire.stats().counters.limitHits.rate).toBeGreaterThanOrEqual(refused);
  });
});

describe('observability', () => {
  it('counts sessions, frames, resumes and serves Prometheus metrics when enabled', async () => {
    const server = await startTestServer({ metrics: true });
    const client = await openClient(server.url);
    client.subscribe('m', () => {});
    await waitFor(() => server.pushwire.stats().channels === 1, 'subscribed');
    await server.pushwire.publish('m', 1);
    server.killConnections();
    await waitFor(() => server.pushwire.stats().counters.sessionsResumed === 1, 'resumed');
    const stats = server.pushwire.stats();
    expect(stats).toMatchObject({ sessions: 1, connected: 1, byTransport: { websocket: 1 } });
    expect(stats.counters.sessionsOpened).toBe(1);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('pushwire_sessions 1');
    expect(text).toContain('pushwire_connections{transport="websocket"} 1');
    expect(text).toContain('pushwire_sessions_resumed_total 1');
    expect(text).toMatch(/pushwire_frames_out_total [1-9]/);
  });

  it('does not serve metrics unless enabled', async () => {
    const server = await startTestServer();
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });
});

describe('graceful shutdown', () => {
  it('tells every client to reconnect after a random delay within the spread, then closes', async () => {
    const server = await startTestServer();
    const clients = await Promise.all(Array.from({ length: 20 }, () => openClient(server.url)));
    const delays: ReconnectInfo[] = [];
    for (const client of clients) client.on('reconnecting', (info) => delays.push(info));
    const closing = server.pushwire.close({ reconnectSpread: 3_000 });
    await waitFor(() => delays.length === 20, 'every client told');
    await closing;
    expect(delays.every((info) => info.code === 4000 && info.delay >= 0 && info.delay < 3_000)).toBe(true);
    const spread = Math.max(...delays.map((d) => d.delay)) - Math.min(...delays.map((d) => d.delay));
    expect(spread).toBeGreaterThan(1_000); // spread out, not a stampede
    await server.close();
  });
});

/** A raw HTTP request (Node's fetch won't let a test set Origin freely). */
function request(
  url: string,
  method: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.destroy();
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('origin checks on the HTTP transports (CSRF)', () => {
  const hello = '{"t":"hello","v":1}';

  it('refuses a cross-site POST (what a plain form would send) with 403, before any session exists', async () => {
    const server = await startTestServer();
    for (const route of ['/sse', '/poll', '/send']) {
      const res = await request(`${server.url}${route}`, 'POST', { Origin: 'https://evil.example', 'content-type': 'text/plain' }, hello);
      expect(res.status).toBe(403);
    }
    expect(server.pushwire.stats().sessions).toBe(0);
  });

  it('by default refuses an https:// page on an http server, without CORS headers that would let it read the answer', async () => {
    const server = await startTestServer();
    const res = await request(
      `${server.url}/poll`,
      'POST',
      { Origin: `https://127.0.0.1:${server.port}`, 'content-type': 'text/plain' },
      hello,
    );
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(server.pushwire.stats().sessions).toBe(0);
    const same = await request(
      `${server.url}/poll`,
      'POST',
      { Origin: `http://127.0.0.1:${server.port}`, 'content-type': 'text/plain' },
      hello,
    );
    expect(same.status).toBe(200);
  });

  it('lets an allowed origin in with CORS headers and answers its preflight', async () => {
    const server = await startTestServer({ allowedOrigins: ['https://app.example'] });
    const preflight = await request(`${server.url}/send`, 'OPTIONS', {
      Origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'pushwire-connection',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('pushwire-connection');
    const opened = await request(`${server.url}/poll`, 'POST', { Origin: 'https://app.example', 'content-type': 'text/plain' }, hello);
    expect(opened.status).toBe(200);
    expect(String(opened.headers['access-control-expose-headers'])).toContain('pushwire-connection');
  });
});
