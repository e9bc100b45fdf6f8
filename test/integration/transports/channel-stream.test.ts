import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { delay, waitFor } from '../../support/wait.js';

afterEach(closeAll);

interface Seen {
  messages: { id: string; data: unknown }[];
  subscribed: { id: string; data: { status: string; epoch: string; seq: number } }[];
  resets: { id: string; data: { epoch: string; seq: number } }[];
}

/** A standard EventSource (the `eventsource` npm package) on a channel stream, recording what it sees; closed by `closeAll()`. */
function listen(url: string): Seen {
  const seen: Seen = { messages: [], subscribed: [], resets: [] };
  const es = closeAfterTest(new EventSource(url));
  es.onmessage = (event) => seen.messages.push({ id: event.lastEventId, data: JSON.parse(event.data) });
  es.addEventListener('subscribed', (event) => seen.subscribed.push({ id: event.lastEventId, data: JSON.parse(event.data) }));
  es.addEventListener('reset', (event) => seen.resets.push({ id: event.lastEventId, data: JSON.parse(event.data) }));
  return seen;
}

describe('channel event stream with the eventsource package', () => {
  it('gives every message an id and resumes with Last-Event-ID after the connection is cut: each message once, in order', async () => {
    const server = await startTestServer();
    const lastEventIds: string[] = [];
    server.http.prependListener('request', (req) => {
      if (req.url?.startsWith('/pushwire/events')) lastEventIds.push(String(req.headers['last-event-id'] ?? ''));
    });
    const seen = listen(`${server.url}/events?channel=ticks`);
    await waitFor(() => seen.subscribed.length === 1, 'the subscribed event');
    const { epoch } = seen.subscribed[0]!.data;
    expect(seen.subscribed[0]).toEqual({ id: `${epoch}:0`, data: { status: 'new', epoch, seq: 0, head: 0 } });

    for (let i = 1; i <= 100; i++) await server.pushwire.publish('ticks', { n: i });
    await waitFor(() => seen.messages.length === 100, 'the first 100 messages');
    server.killConnections();
    // Published while the consumer is away: it must get them from history when it comes back.
    for (let i = 101; i <= 200; i++) await server.pushwire.publish('ticks', { n: i });
    await waitFor(() => seen.messages.length >= 200, 'the messages published while away', 10_000);
    for (let i = 201; i <= 250; i++) await server.pushwire.publish('ticks', { n: i });
    await waitFor(() => seen.messages.length >= 250, 'the live messages after the resume');
    await delay(50);

    expect(seen.messages.map((m) => (m.data as { n: number }).n)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(seen.messages.map((m) => m.id)).toEqual(Array.from({ length: 250 }, (_, i) => `${epoch}:${i + 1}`));
    expect(lastEventIds).toEqual(['', `${epoch}:100`]);
    expect(seen.subscribed.at(-1)!.data).toEqual({ status: 'recovered', epoch, seq: 100, head: 200 });
    expect(seen.resets).toEqual([]);
  });

  it('signals a reset (event "reset", id = the new position) when the history no longer reaches back', async () => {
    const server = await startTestServer({ history: { size: 10 } });
    const seen = listen(`${server.url}/events?channel=ticks`);
    await waitFor(() => seen.subscribed.length === 1, 'the subscribed event');
    const { epoch } = seen.subscribed[0]!.data;
    await server.pushwire.publish('ticks', 1);
    await waitFor(() => seen.messages.length === 1, 'message 1');
    server.killConnections();
    for (let i = 2; i <= 50; i++) await server.pushwire.publish('ticks', i);
    await waitFor(() => seen.resets.length === 1, 'the reset', 10_000);
    expect(seen.resets[0]).toEqual({ id: `${epoch}:50`, data: { status: 'reset', epoch, seq: 50, head: 50 } });
    await server.pushwire.publish('ticks', 51);
    await waitFor(() => seen.messages.length === 2, 'the next live message');
    expect(seen.messages.map((m) => m.data)).toEqual([1, 51]);
  });

  it('refuses a bad channel or Last-Event-ID with 400 and respects canSubscribe', async () => {
    const server = await startTestServer({ canSubscribe: (_session, channel) => channel !== 'secret' });
    expect((await fetch(`${server.url}/events`)).status).toBe(400);
    const badId = await fetch(`${server.url}/events?channel=a`, { headers: { 'last-event-id': 'nonsense' } });
    expect(badId.status).toBe(400);
    expect(await badId.text()).toMatch(/Last-Event-ID/);
    const forbidden = await fetch(`${server.url}/events?channel=secret`);
    expect(forbidden.status).toBe(403);
  });
});
