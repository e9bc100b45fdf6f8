import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FallbackInfo, PushwireClient, type PushwireError, type ReconnectInfo, sse } from '../../../src/client/index.js';
import { fakeTransport } from '../fakes/index.js';

// Issue 16: a token the server keeps refusing (close 4200) was taken for a broken transport: the client
// fell back WebSocket → SSE → long-polling, remembered SSE for 24 h, called the token function ~3 times a
// second forever and never emitted `error`.

let client: PushwireClient | undefined;
beforeEach(() => {
  vi.useFakeTimers();
  // close() after a session says goodbye in a request of its own: nowhere to go here.
  vi.stubGlobal('fetch', () => Promise.resolve(new Response(null, { status: 204 })));
});
afterEach(() => {
  client?.close();
  client = undefined;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function setup() {
  const websocketFake = fakeTransport();
  const sseFake = fakeTransport();
  const stored: string[] = [];
  const storage = {
    getItem: () => null,
    setItem: (key: string) => void stored.push(key),
    removeItem: (key: string) => void stored.push(key),
  };
  let tokens = 0;
  client = new PushwireClient('http://example.test/pushwire', {
    transports: [websocketFake.definition, { ...sse, create: sseFake.definition.create }],
    transportMemory: { storage },
    auth: () => ({ token: ++tokens }),
    random: () => 0.5,
    reconnect: { min: 1000, max: 8000 },
  });
  const events = { fallbacks: [] as FallbackInfo[], reconnects: [] as ReconnectInfo[], errors: [] as PushwireError[] };
  client.on('fallback', (info) => events.fallbacks.push(info));
  client.on('reconnecting', (info) => events.reconnects.push(info));
  client.on('error', (error) => events.errors.push(error));
  return { client, websocketFake, sseFake, stored, events, tokens: () => tokens };
}

/** The newest attempt opens, sends its hello (after the token function), and the server refuses it with 4200. */
async function refuse(fake: ReturnType<typeof fakeTransport>): Promise<void> {
  fake.last().handlers.open();
  await vi.advanceTimersByTimeAsync(0);
  expect(fake.last().framesOf('hello')).toHaveLength(1);
  fake.last().drop(4200, 'unauthorized');
}

/** Waits out the backoff the last `reconnecting` event announced (if the client is still trying). */
async function nextAttempt(events: { reconnects: ReconnectInfo[] }): Promise<void> {
  await vi.advanceTimersByTimeAsync(events.reconnects.at(-1)?.delay ?? 0);
}

describe('refused credentials (close 4200)', () => {
  it('are no transport failure: no fallback, nothing remembered; the same transport is tried again with a fresh token after a backoff', async () => {
    const { websocketFake, sseFake, stored, events, tokens } = setup();
    await vi.advanceTimersByTimeAsync(0);
    await refuse(websocketFake);
    expect(events.fallbacks).toEqual([]);
    expect(events.reconnects).toEqual([{ attempt: 1, delay: 500, code: 4200, reason: 'unauthorized' }]);
    await vi.advanceTimersByTimeAsync(500);
    expect(websocketFake.pipes).toHaveLength(2);
    expect(sseFake.pipes).toHaveLength(0);
    await refuse(websocketFake);
    expect(events.reconnects[1]).toMatchObject({ attempt: 2, delay: 1000 });
    expect(tokens()).toBe(2);
    expect(stored).toEqual([]);
    expect(events.errors).toEqual([]);
  });

  it('stop after a bounded number of refusals in a row, with an error the page can show', async () => {
    const { client: refused, websocketFake, sseFake, stored, events, tokens } = setup();
    const closes: Array<{ code: number; reason: string }> = [];
    refused.on('close', (info) => closes.push(info));
    await vi.advanceTimersByTimeAsync(0);
    for (let round = 0; round < 10 && refused.state !== 'closed'; round++) {
      await refuse(websocketFake);
      await nextAttempt(events);
    }
    expect(refused.state).toBe('closed');
    expect(tokens()).toBe(4); // the first try and three more
    expect(events.errors).toHaveLength(1);
    expect(events.errors[0]!.message).toMatch(/4200.*unauthorized/);
    expect(closes).toEqual([{ code: 4200, reason: 'unauthorized' }]);
    expect(events.fallbacks).toEqual([]);
    expect(sseFake.pipes).toHaveLength(0);
    expect(stored).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a welcome in between starts the count again', async () => {
    const { client: accepted, websocketFake, events } = setup();
    await vi.advanceTimersByTimeAsync(0);
    for (let round = 0; round < 3; round++) {
      await refuse(websocketFake);
      await nextAttempt(events);
    }
    await websocketFake.last().welcome();
    expect(accepted.state).toBe('open');
    websocketFake.last().drop(4200, 'token expired'); // refused on a later handshake: counted afresh
    await nextAttempt(events);
    await refuse(websocketFake);
    await nextAttempt(events);
    expect(accepted.state).toBe('reconnecting');
    expect(events.errors).toEqual([]);
  });
});
