import { afterEach, describe, expect, it } from 'vitest';
import type { FallbackInfo, OpenInfo } from '../../../src/client/index.js';
import type { TransportName } from '../../../src/protocol/frames.js';
import { connectClient, TRANSPORTS } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { gatedWebSocket } from '../../support/controlled-websocket.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';
import { collect, expectExactlyOnceInOrder, publishStream } from './stream.js';

afterEach(closeAll);

const names: TransportName[] = ['websocket', 'sse', 'long-polling'];

describe.each(names)('%s forced alone', (name) => {
  it('does pub/sub: server and client publishes, send to the server app, direct messages', async () => {
    const handled: unknown[] = [];
    const server = await startTestServer({
      canPublish: () => true,
      onMessage: (session, data) => {
        handled.push(data);
        session.send({ echo: data });
      },
    });
    const client = connectClient(server.url, { transports: [TRANSPORTS[name]] });
    const opened = new Promise<OpenInfo>((resolve) => client.on('open', resolve));
    const direct: unknown[] = [];
    client.on('message', (data) => direct.push(data));
    const got: unknown[] = [];
    const subscribed = new Promise((resolve) => client.subscribe('room', { onMessage: (d) => got.push(d), onSubscribed: resolve }));
    expect((await opened).transport).toBe(name);
    await subscribed;
    await server.pushwire.publish('room', { from: 'server' });
    await client.publish('room', { from: 'client', text: 'é ✓ "quoted"\nline' });
    await client.send('hello app');
    await waitFor(() => got.length === 2 && direct.length === 1, 'messages');
    expect(got).toEqual([{ from: 'server' }, { from: 'client', text: 'é ✓ "quoted"\nline' }]);
    expect(handled).toEqual(['hello app']);
    expect(direct).toEqual([{ echo: 'hello app' }]);
    expect(client.transport).toBe(name);
    expect(server.pushwire.stats()).toMatchObject({ sessions: 1, connected: 1 });
    expect(await client.ping()).toBeGreaterThanOrEqual(0);
  });

  it('close() ends the session on the server at once (the bye goes out before the pipe closes)', async () => {
    const ended: string[] = [];
    const server = await startTestServer({ onClose: (_session, reason) => ended.push(reason) });
    const client = connectClient(server.url, { transports: [TRANSPORTS[name]] });
    await waitFor(() => client.state === 'open', 'open');
    client.close();
    await waitFor(() => ended.length === 1, 'the session to end');
    expect(ended).toEqual(['bye']);
    expect(server.pushwire.stats().sessions).toBe(0);
  });

  it('refuses a publish without permission with a clear error, and carries on', async () => {
    const server = await startTestServer();
    const client = connectClient(server.url, { transports: [TRANSPORTS[name]] });
    await expect(client.publish('room', 1)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(client.publish('room', 'x'.repeat(70_000))).rejects.toMatchObject({ code: 'too_large' });
    expect(client.state).toBe('open');
  });

  it('delivers 10,000 messages exactly once and in order while the server-side connections are killed 5 times', async () => {
    const server = await startTestServer();
    const client = connectClient(server.url, { transports: [TRANSPORTS[name]] });
    let resumes = 0;
    client.on('open', (info) => {
      if (info.resumed) resumes++;
    });
    const result = collect(client, 'stream');
    await waitFor(() => client.state === 'open', 'open');
    let killed = 0;
    await publishStream(server, 'stream', result, 10_000, (i) => {
      if (i % 2000 === 1000) killed += server.killConnections() > 0 ? 1 : 0;
    });
    expectExactlyOnceInOrder(result, 10_000);
    expect(killed).toBe(5);
    // Long-polling may ride a kill out by asking for the lost batch again, without a new connection.
    if (name !== 'long-polling') expect(resumes).toBeGreaterThanOrEqual(4);
    console.log(`${name}: 10,000 messages, ${killed} kills, ${resumes} resumed reconnects`);
  });
});

describe('transport switches in the middle of a stream', () => {
  it.each(['sse', 'long-polling'] as const)('upgrades from %s to WebSocket without losing or repeating a message', async (fallback) => {
    const { WebSocket, gate } = gatedWebSocket();
    const server = await startTestServer();
    const client = connectClient(server.url, {
      transports: [TRANSPORTS.websocket, TRANSPORTS[fallback]],
      WebSocket,
      upgrade: { min: 50, max: 100 },
    });
    const fallbacks: FallbackInfo[] = [];
    client.on('fallback', (info) => fallbacks.push(info));
    let upgradedAt = -1;
    client.on('upgrade', (info) => {
      expect(info).toEqual({ from: fallback, to: 'websocket' });
      upgradedAt = result.received.length;
    });
    const result = collect(client, 'stream');
    await waitFor(() => client.state === 'open', 'open');
    expect(client.transport).toBe(fallback);
    expect(fallbacks[0]).toMatchObject({ from: 'websocket', to: fallback });
    await publishStream(server, 'stream', result, 10_000, async (i) => {
      if (i === 3000) gate.blocked = false;
      // Make sure the switch happens while messages flow.
      if (i === 8000) await waitFor(() => upgradedAt >= 0, 'the upgrade');
    });
    expectExactlyOnceInOrder(result, 10_000);
    expect(upgradedAt).toBeGreaterThan(0);
    expect(upgradedAt).toBeLessThan(10_000);
    expect(client.transport).toBe('websocket');
    // The server saw one session move pipes, not a new session.
    expect(server.pushwire.stats()).toMatchObject({ sessions: 1, byTransport: { websocket: 1, sse: 0, 'long-polling': 0 } });
    expect(server.pushwire.stats().counters.transportSwitches).toBe(1);
    console.log(`upgrade ${fallback} → websocket after ${upgradedAt} of 10,000 messages`);
  });

  it('falls back from WebSocket to SSE mid-stream when WebSocket breaks, then upgrades back, losing nothing', async () => {
    const { WebSocket, gate } = gatedWebSocket();
    gate.blocked = false;
    const server = await startTestServer();
    const client = connectClient(server.url, {
      transports: [TRANSPORTS.websocket, TRANSPORTS.sse],
      WebSocket,
      upgrade: { min: 50, max: 100 },
    });
    const transports: string[] = [];
    client.on('open', (info) => transports.push(info.transport));
    const result = collect(client, 'stream');
    await waitFor(() => client.state === 'open', 'open');
    await publishStream(server, 'stream', result, 10_000, async (i) => {
      if (i === 2000) {
        gate.blocked = true;
        server.killConnections();
      }
      if (i === 5000) {
        await waitFor(() => client.transport === 'sse' && client.state === 'open', 'the fallback to SSE');
        gate.blocked = false;
      }
      if (i === 8000) await waitFor(() => client.transport === 'websocket', 'the upgrade back');
    });
    expectExactlyOnceInOrder(result, 10_000);
    expect(transports[0]).toBe('websocket');
    expect(transports).toContain('sse');
    expect(transports.at(-1)).toBe('websocket');
  });
});
