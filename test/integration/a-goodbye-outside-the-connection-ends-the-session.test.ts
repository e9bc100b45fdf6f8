import { afterEach, describe, expect, it } from 'vitest';
import { RedisBroker } from '../../src/server/broker/redis.js';
import type { ServerOptions, SessionEndReason } from '../../src/server/index.js';
import { openClient, TRANSPORTS } from '../support/client-harness.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { useTestRedis } from '../support/redis-server.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

const redis = useTestRedis();
afterEach(closeAll);

/** A server that records how its sessions ended, by id. */
async function recordingServer(options: ServerOptions = {}) {
  const ended = new Map<string, SessionEndReason>();
  const server = await startTestServer({ ...options, onClose: (session, reason) => ended.set(session.id, reason) });
  return { server, ended };
}

/** A new session over long-polling: its id and secret, as the client has them. */
async function session(url: string): Promise<{ sid: string; secret: string }> {
  const res = await fetch(`${url}/poll`, { method: 'POST', body: '{"t":"hello","v":1}' });
  const welcome = JSON.parse((await res.text()).split('\n')[0]!) as { sid: string; secret: string };
  return { sid: welcome.sid, secret: welcome.secret };
}

const goodbye = (url: string, body: string, method = 'POST'): Promise<Response> =>
  fetch(`${url}/bye`, { method, body: method === 'POST' ? body : null });

describe('POST {path}/bye', () => {
  it('ends the session when the secret is its own; a wrong secret or an unknown session changes nothing, and every answer is the same 204', async () => {
    const { server, ended } = await recordingServer();
    const { sid, secret } = await session(server.url);
    const wrong = await goodbye(
      server.url,
      JSON.stringify({ t: 'bye', sid, secret: secret.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }),
    );
    const unknown = await goodbye(server.url, JSON.stringify({ t: 'bye', sid: 'A'.repeat(sid.length), secret }));
    expect([wrong.status, unknown.status]).toEqual([204, 204]);
    expect(server.pushwire.stats().sessions).toBe(1);
    const right = await goodbye(server.url, JSON.stringify({ t: 'bye', sid, secret }));
    expect(right.status).toBe(204);
    expect(ended.get(sid)).toBe('bye');
    expect(server.pushwire.stats().sessions).toBe(0);
  });

  it('answers 400 to a body that is not a goodbye, and 405 to another method', async () => {
    const { server } = await recordingServer();
    for (const body of ['', 'bye', '{"t":"bye"}', '{"t":"hello","sid":"a","secret":"b"}', '{"t":"bye","sid":1,"secret":"b"}']) {
      expect((await goodbye(server.url, body)).status, body).toBe(400);
    }
    expect((await goodbye(server.url, '', 'GET')).status).toBe(405);
  });

  it.each(['websocket', 'sse', 'long-polling'] as const)('a client closed over %s ends its session at once', async (name) => {
    const { server, ended } = await recordingServer();
    const client = await openClient(server.url, { transports: [TRANSPORTS[name]] });
    const sid = client.sessionId!;
    client.close();
    await waitFor(() => ended.has(sid), 'session ended', 2_000);
    expect(ended.get(sid)).toBe('bye');
  });
});

describe.skipIf(!redis.available)('POST {path}/bye on a cluster', () => {
  it('reaches the node that holds the session: it ends there, presence included', async () => {
    const prefix = redis.prefix('bye');
    const a = await recordingServer({ broker: closeAfterTest(new RedisBroker({ url: redis.url, prefix })) });
    const b = await recordingServer({ broker: closeAfterTest(new RedisBroker({ url: redis.url, prefix })) });
    const client = await openClient(a.server.url, { transports: [TRANSPORTS.sse] });
    await client.joinPresence('room', { name: 'Ann' });
    expect(Object.keys((await a.server.pushwire.presence('room')) ?? {})).toHaveLength(1);
    const sid = client.sessionId!;
    // The client's goodbye goes to the other node (as a load balancer without sticky sessions may send it).
    const sent: string[] = [];
    const originalFetch = globalThis.fetch;
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/bye')) {
        sent.push(String(init?.body));
        return originalFetch(url.replace(a.server.url, b.server.url), init);
      }
      return originalFetch(input, init);
    }) as typeof fetch;
    try {
      client.close();
      await waitFor(() => a.ended.has(sid), 'session ended on node a', 5_000);
    } finally {
      globalThis.fetch = originalFetch;
    }
    expect(sent).toHaveLength(1);
    expect(a.ended.get(sid)).toBe('bye');
    await waitFor(async () => Object.keys((await a.server.pushwire.presence('room')) ?? {}).length === 0, 'presence left');
  });
});
