import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientOptions, type FallbackInfo, PushwireClient, type WebSocketConstructor } from '../../../src/client/index.js';
import { longPolling } from '../../../src/client/transports/long-polling.js';
import { sse } from '../../../src/client/transports/sse.js';
import { websocket } from '../../../src/client/transports/websocket.js';
import { delay, waitFor } from '../../support/wait.js';
import { BASE, MockPushwire } from '../fakes/index.js';

const network = setupServer();
beforeAll(() => network.listen({ onUnhandledRequest: 'error' }));
afterAll(() => network.close());

let mock: MockPushwire;
let clients: PushwireClient[] = [];
afterEach(() => {
  for (const client of clients) client.close();
  clients = [];
  network.resetHandlers();
  localStorage.clear();
});

function start(options: ClientOptions = {}): PushwireClient {
  const client = new PushwireClient(BASE, {
    transports: [websocket, sse, longPolling],
    transportMemory: { storage: null },
    connectTimeout: 2000,
    // Long enough for a loaded machine on the working paths; the silent ones wait it out.
    welcomeTimeout: 1000,
    reconnect: { min: 10, max: 50 },
    upgrade: false,
    ...options,
  });
  clients.push(client);
  return client;
}

function useMock(): MockPushwire {
  mock = new MockPushwire();
  network.use(...mock.handlers);
  return mock;
}

function fallbacksOf(client: PushwireClient): FallbackInfo[] {
  const list: FallbackInfo[] = [];
  client.on('fallback', (info) => list.push(info));
  return list;
}

async function subscribed(client: PushwireClient, channel: string): Promise<unknown[]> {
  const got: unknown[] = [];
  await new Promise((resolve) => client.subscribe(channel, { onMessage: (d) => got.push(d), onSubscribed: resolve }));
  return got;
}

describe('each transport alone on the mocked network', () => {
  it('SSE: hello in the stream request body, frames as events, upstream batched with one POST in flight, in order', async () => {
    useMock().sendDelay = 30;
    const client = start({ transports: [sse] });
    const got = await subscribed(client, 'room');
    expect(client.transport).toBe('sse');
    expect(mock.hellos).toEqual([{ transport: 'sse', hello: { t: 'hello', v: 1 } }]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.publish('room', i)));
    const sent = mock.posts.flat().map((line) => JSON.parse(line) as { t: string; s?: number });
    const sequenced = sent.filter((frame) => frame.s !== undefined).map((frame) => frame.s);
    // The `sub` (s 1) rode in the hello's body, which opened the stream; the publishes follow in POSTs.
    expect(sequenced).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(mock.maxInFlight).toBe(1);
    expect(mock.posts.length).toBeLessThan(10); // batched, not one POST per frame
    for (let i = 1; i <= 5; i++) mock.publish('room', i);
    await waitFor(() => got.length === 5, 'messages', 5_000);
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });

  it('long-polling: delayed polls bring batches in order, and a lost poll answer is asked for again and applied once', async () => {
    useMock().pollDelay = 20;
    const client = start({ transports: [longPolling] });
    const got = await subscribed(client, 'room');
    expect(client.transport).toBe('long-polling');
    for (let i = 1; i <= 30; i++) mock.publish('room', i);
    await waitFor(() => got.length === 30, 'first batch', 5_000);
    // The next answer is lost on the way: the batch was made, the network drops it.
    mock.loseNextBatch = true;
    for (let i = 31; i <= 40; i++) mock.publish('room', i);
    await waitFor(() => got.length >= 40, 'messages after the lost poll answer', 5_000);
    await delay(50);
    expect(mock.loseNextBatch).toBe(false);
    expect(mock.repeatedPolls).toBe(1);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(client.state).toBe('open');
  });
});

describe('fallback triggers', () => {
  it('a refused WebSocket: on to SSE at once, and the event says why', async () => {
    useMock().websocket = 'refuse';
    const client = start();
    const fallbacks = fallbacksOf(client);
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('sse');
    expect(fallbacks).toEqual([{ from: 'websocket', to: 'sse', code: 1011, reason: 'refused' }]);
  });

  it('a hanging upgrade: the connect timeout moves on to SSE', async () => {
    useMock();
    class HangingWebSocket {
      readyState = 0;
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      send(): void {}
      close(): void {}
    }
    const client = start({ WebSocket: HangingWebSocket as unknown as WebSocketConstructor, connectTimeout: 200 });
    const fallbacks = fallbacksOf(client);
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('sse');
    expect(fallbacks).toEqual([
      { from: 'websocket', to: 'sse', code: 1006, reason: 'websocket: no welcome within 200 ms (connect timeout)' },
    ]);
  });

  it('a WebSocket silent after open: the health check moves on to SSE', async () => {
    useMock().websocket = 'silent';
    const client = start();
    const fallbacks = fallbacksOf(client);
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('sse');
    expect(fallbacks).toEqual([
      { from: 'websocket', to: 'sse', code: 1006, reason: 'websocket: no welcome within 1000 ms (health check)' },
    ]);
  });

  it('a buffered SSE stream: the health check moves on to long-polling', async () => {
    const m = useMock();
    m.websocket = 'refuse';
    m.sse = 'silent';
    const client = start();
    const fallbacks = fallbacksOf(client);
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('long-polling');
    expect(fallbacks.map((f) => `${f.from}→${f.to}: ${f.reason}`)).toEqual([
      'websocket→sse: refused',
      'sse→long-polling: sse: no welcome within 1000 ms (health check)',
    ]);
  });

  it('when every transport fails, the round ends (to: null) and the client backs off, then starts over', async () => {
    const m = useMock();
    m.websocket = 'refuse';
    m.sse = 'refuse';
    m.longPolling = 'refuse';
    const client = start();
    const fallbacks = fallbacksOf(client);
    const reconnects: number[] = [];
    client.on('reconnecting', (info) => reconnects.push(info.attempt));
    await waitFor(() => fallbacks.length >= 4, 'a second round', 5_000);
    expect(fallbacks.slice(0, 4).map((f) => [f.from, f.to])).toEqual([
      ['websocket', 'sse'],
      ['sse', 'long-polling'],
      ['long-polling', null],
      ['websocket', 'sse'],
    ]);
    expect(reconnects[0]).toBe(1);
    m.websocket = 'ok';
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('websocket');
  });
});

describe('transport memory', () => {
  const KEY = `pushwire:transport:${BASE}`;

  it('remembers a fallback in localStorage and starts there next time', async () => {
    useMock().websocket = 'refuse';
    const first = start({ transportMemory: {} });
    await waitFor(() => first.state === 'open', 'open', 5_000);
    const entry = JSON.parse(localStorage.getItem(KEY)!) as { transport: string; expires: number };
    expect(entry.transport).toBe('sse');
    expect(entry.expires).toBeGreaterThan(Date.now() + 23 * 3600_000);
    first.close();
    mock.websocket = 'ok';
    const attempts = mock.attempts.websocket;
    const second = start({ transportMemory: {} });
    const fallbacks = fallbacksOf(second);
    await waitFor(() => second.state === 'open', 'open', 5_000);
    expect(second.transport).toBe('sse');
    expect(mock.attempts.websocket).toBe(attempts);
    expect(fallbacks).toEqual([]);
  });

  it('ignores and removes an expired entry, and forgets the fallback once WebSocket works', async () => {
    useMock();
    localStorage.setItem(KEY, JSON.stringify({ transport: 'long-polling', expires: Date.now() - 1 }));
    const client = start({ transportMemory: { ttl: 1000 } });
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('websocket');
    expect(localStorage.getItem(KEY)).toBeNull();
  });

  it('lives with a storage that throws (privacy modes, quotas): nothing is remembered, nothing breaks', async () => {
    useMock().websocket = 'refuse';
    const broken = {
      getItem: (): string | null => {
        throw new Error('SecurityError');
      },
      setItem: (): void => {
        throw new Error('QuotaExceededError');
      },
      removeItem: (): void => {
        throw new Error('SecurityError');
      },
    };
    const client = start({ transportMemory: { storage: broken } });
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    await waitFor(() => client.state === 'open', 'open', 5_000);
    expect(client.transport).toBe('sse');
    expect(errors).toEqual([]);
  });

  it('uses the ttl given', async () => {
    useMock().websocket = 'refuse';
    const client = start({ transportMemory: { ttl: 1000 } });
    await waitFor(() => client.state === 'open', 'open', 5_000);
    const entry = JSON.parse(localStorage.getItem(KEY)!) as { expires: number };
    expect(entry.expires).toBeLessThanOrEqual(Date.now() + 1000);
  });
});

describe('upgrade back to WebSocket', () => {
  it('probes in the background and moves the session over with the receipt count: nothing lost, nothing doubled', async () => {
    useMock().websocket = 'refuse';
    const client = start({ upgrade: { min: 20, max: 40 } });
    const upgrades: unknown[] = [];
    const probes: string[] = [];
    client.on('upgrade', (info) => upgrades.push(info));
    client.on('probe', (info) => probes.push(info.reason));
    const got = await subscribed(client, 'room');
    expect(client.transport).toBe('sse');
    for (let i = 1; i <= 5; i++) mock.publish('room', i);
    await waitFor(() => got.length === 5, 'messages on SSE', 5_000);
    // Probes fail while WebSocket is refused, without disturbing the session.
    await waitFor(() => probes.length >= 2, 'failed probes', 5_000);
    expect(probes[0]).toBe('closed (1011) refused');
    expect(client.state).toBe('open');
    mock.websocket = 'ok';
    await waitFor(() => upgrades.length === 1, 'the upgrade', 5_000);
    expect(upgrades).toEqual([{ from: 'sse', to: 'websocket' }]);
    const hello = mock.hellos.at(-1)!;
    expect(hello.transport).toBe('websocket');
    // subd + 5 messages were received on SSE: the resume asks for everything after them.
    expect(hello.hello).toMatchObject({ sid: client.sessionId, secret: 'secret', rx: 6 });
    for (let i = 6; i <= 10; i++) mock.publish('room', i);
    await waitFor(() => got.length >= 10, 'messages on WebSocket', 5_000);
    await delay(30);
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(client.transport).toBe('websocket');
  });

  it('an upgrade whose welcome never comes falls back and resumes on the old transport, losing nothing', async () => {
    useMock().websocket = 'refuse';
    const client = start({ upgrade: { min: 20, max: 40 } });
    const fallbacks = fallbacksOf(client);
    const got = await subscribed(client, 'room');
    for (let i = 1; i <= 3; i++) mock.publish('room', i);
    await waitFor(() => got.length === 3, 'messages on SSE', 5_000);
    mock.websocket = 'pong-only';
    await waitFor(() => fallbacks.length === 2, 'the failed upgrade', 5_000);
    expect(fallbacks[1]).toMatchObject({ from: 'websocket', to: 'sse', reason: 'websocket: no welcome within 1000 ms (health check)' });
    mock.websocket = 'refuse';
    await waitFor(() => client.state === 'open' && client.transport === 'sse', 'back on SSE', 5_000);
    expect(mock.hellos.at(-1)).toMatchObject({ transport: 'sse', hello: { sid: client.sessionId, rx: 4 } });
    for (let i = 4; i <= 6; i++) mock.publish('room', i);
    await waitFor(() => got.length >= 6, 'messages after the failed upgrade', 5_000);
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a probe that opens but never answers is dropped (silent proxy) and the session stays put', async () => {
    useMock().websocket = 'refuse';
    const client = start({ upgrade: { min: 20, max: 40, timeout: 100 } });
    const probes: string[] = [];
    client.on('probe', (info) => probes.push(info.reason));
    await waitFor(() => client.state === 'open', 'open', 5_000);
    mock.websocket = 'silent';
    await waitFor(() => probes.includes('no pong within 100 ms'), 'a silent probe', 5_000);
    expect(client.transport).toBe('sse');
    expect(client.state).toBe('open');
  });
});
