import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/server/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { waitFor } from '../support/wait.js';

afterEach(closeAll);

describe('publish/subscribe over WebSocket', () => {
  it('delivers server publishes to subscribers with per-channel sequence numbers and one epoch', async () => {
    const server = await startTestServer();
    const client = await openClient(server.url);
    const got: Array<{ data: unknown; seq: number; epoch: string }> = [];
    const subscribed: string[] = [];
    client.subscribe('news', {
      onMessage: (data, info) => got.push({ data, seq: info.seq, epoch: info.epoch }),
      onSubscribed: (info) => subscribed.push(info.status),
    });
    await waitFor(() => subscribed.length === 1, 'subscription confirmed');
    for (let i = 1; i <= 3; i++) await server.pushwire.publish('news', { i });
    await waitFor(() => got.length === 3, 'three messages');
    expect(subscribed).toEqual(['new']);
    expect(got.map((m) => m.data)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect(got.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(new Set(got.map((m) => m.epoch)).size).toBe(1);
  });

  it('lets clients publish only where canPublish allows, and rejects the rest with forbidden', async () => {
    const server = await startTestServer({ canPublish: (_session, channel) => channel === 'chat' });
    const alice = await openClient(server.url);
    const bob = await openClient(server.url);
    const seen: unknown[] = [];
    bob.subscribe('chat', { onMessage: (data) => seen.push(data) });
    await waitFor(() => server.pushwire.stats().channels === 1, 'bob subscribed');
    await alice.publish('chat', { text: 'hello' });
    await waitFor(() => seen.length === 1, 'bob receives alice');
    expect(seen).toEqual([{ text: 'hello' }]);
    await expect(alice.publish('admin', { text: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses a subscription canSubscribe denies, with forbidden on the subscription only', async () => {
    const server = await startTestServer({ canSubscribe: (_session, channel) => !channel.startsWith('private:') });
    const client = await openClient(server.url);
    const errors: string[] = [];
    client.subscribe('private:x', { onError: (error) => errors.push(error.code) });
    const ok: string[] = [];
    client.subscribe('public', { onSubscribed: (info) => ok.push(info.status) });
    await waitFor(() => errors.length === 1 && ok.length === 1, 'both answered');
    expect(errors).toEqual(['forbidden']);
  });

  it('runs the onConnection, onMessage and onClose hooks and sends direct messages to one session', async () => {
    const events: string[] = [];
    let opened: Session | undefined;
    const server = await startTestServer({
      onConnection: (session) => {
        opened = session;
        events.push('connection');
      },
      onMessage: (session, data) => {
        events.push(`message ${JSON.stringify(data)}`);
        session.send({ echo: data });
      },
      onClose: (_session, reason) => events.push(`close ${reason}`),
    });
    const client = await openClient(server.url);
    const direct: unknown[] = [];
    client.on('message', (data) => direct.push(data));
    await client.send({ hi: 1 });
    await waitFor(() => direct.length === 1, 'echo');
    expect(direct).toEqual([{ echo: { hi: 1 } }]);
    expect(opened?.transport).toBe('websocket');
    client.close();
    await waitFor(() => events.includes('close bye'), 'session closed by bye');
    expect(events).toEqual(['connection', 'message {"hi":1}', 'close bye']);
  });

  it('rejects send() with no_handler when the server has no onMessage hook', async () => {
    const server = await startTestServer();
    const client = await openClient(server.url);
    await expect(client.send('x')).rejects.toMatchObject({ code: 'no_handler' });
  });

  it('stops delivery after unsubscribe, and shares one server subscription between handlers', async () => {
    const server = await startTestServer();
    const client = await openClient(server.url);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const first = client.subscribe('t', (data) => a.push(data));
    const second = client.subscribe('t', (data) => b.push(data));
    await waitFor(() => server.pushwire.stats().channels === 1, 'subscribed');
    await server.pushwire.publish('t', 1);
    await waitFor(() => a.length === 1 && b.length === 1, 'both handlers');
    await first.unsubscribe();
    await server.pushwire.publish('t', 2);
    await waitFor(() => b.length === 2, 'second handler still live');
    expect(a).toEqual([1]);
    await second.unsubscribe();
    await waitFor(() => server.pushwire.stats().channels === 0, 'server subscription gone');
  });

  it('replays recent history with rewind on a fresh subscription', async () => {
    const server = await startTestServer();
    for (let i = 1; i <= 10; i++) await server.pushwire.publish('log', i);
    const client = await openClient(server.url);
    const got: unknown[] = [];
    client.subscribe('log', (data) => got.push(data), { rewind: 3 });
    await waitFor(() => got.length === 3, 'three from history');
    await server.pushwire.publish('log', 11);
    await waitFor(() => got.length === 4, 'then live');
    expect(got).toEqual([8, 9, 10, 11]);
  });
});
