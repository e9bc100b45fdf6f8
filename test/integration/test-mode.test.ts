import { afterEach, describe, expect, it } from 'vitest';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

afterEach(closeAll);

async function command(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/test`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

describe('test mode', () => {
  it('is off by default: the control endpoint is an unknown endpoint and test channels are ordinary', async () => {
    const server = await startTestServer();
    expect((await fetch(`${server.url}/test`, { method: 'POST', body: '{"op":"config"}' })).status).toBe(404);
    const client = await openClient(server.url);
    await expect(client.publish('test:pub:x', 1)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('reports the limits the server runs with', async () => {
    const server = await startTestServer({
      testMode: true,
      heartbeatInterval: 1_000,
      maxPayload: 4_096,
      history: { size: 20 },
      limits: { maxSubscriptions: 5 },
    });
    const { status, body } = await command(server.url, { op: 'config' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      hb: 1_000,
      grace: 500,
      max: 4_096,
      historyMessages: 20,
      maxSubscriptions: 5,
      transports: ['websocket', 'sse', 'long-polling'],
    });
  });

  it('publishes on demand, sends to one session and ends a session with the close code asked for', async () => {
    const server = await startTestServer({ testMode: true });
    const client = await openClient(server.url);
    const got: number[] = [];
    client.subscribe<number>('news', (n) => got.push(n));
    await waitFor(() => server.pushwire.stats().channels === 1, 'subscribed');
    expect((await command(server.url, { op: 'publish', ch: 'news', d: 7, count: 3 })).body).toMatchObject({ seq: 3 });
    await waitFor(() => got.length === 3, 'three messages');
    const messages: unknown[] = [];
    client.on('message', (data) => messages.push(data));
    expect((await command(server.url, { op: 'send', sid: client.sessionId, d: { hi: 1 } })).status).toBe(200);
    await waitFor(() => messages.length === 1, 'direct message');
    expect(messages[0]).toEqual({ hi: 1 });
    const closes: number[] = [];
    client.on('close', (info) => closes.push(info.code));
    expect((await command(server.url, { op: 'close', sid: client.sessionId, code: 4100, reason: 'test' })).status).toBe(200);
    await waitFor(() => closes.includes(4100), 'fatal close reported');
    expect((await command(server.url, { op: 'send', sid: 'nobody', d: 1 })).status).toBe(404);
    expect((await command(server.url, { op: 'fly' })).status).toBe(400);
  });

  it('gives the documented test behaviour: test:pub: publishable, test:forbidden: refused, handlers that echo and throw', async () => {
    const server = await startTestServer({ testMode: true });
    const client = await openClient(server.url);
    await client.publish('test:pub:a', 1);
    await expect(client.publish('elsewhere', 1)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.fetchState('test:forbidden:x')).rejects.toMatchObject({ code: 'forbidden' });
    await client.send({ any: 1 });
    await expect(client.send({ throw: 'boom' })).rejects.toMatchObject({ code: 'handler_error', message: expect.stringContaining('boom') });
    expect(await client.request({ a: 1 })).toEqual({ echo: { a: 1 } });
    await expect(client.request({ throw: 'no' })).rejects.toMatchObject({ code: 'handler_error' });
  });
});
