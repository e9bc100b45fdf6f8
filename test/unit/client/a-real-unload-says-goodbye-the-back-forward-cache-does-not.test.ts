import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { longPolling, PushwireClient, sse, websocket } from '../../../src/client/index.js';
import { fakeTransport } from '../fakes/index.js';

/** `pagehide` as the browser fires it: `persisted` when the page goes into the back/forward cache. */
function pagehide(persisted: boolean): void {
  window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted }));
}

/** Requests of their own the client made (the goodbye outside the connection), with their keepalive flag. */
const beacons: Array<{ url: string; body: string; keepalive: boolean }> = [];
let client: PushwireClient | undefined;

beforeEach(() => {
  vi.useFakeTimers();
  beacons.length = 0;
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
    beacons.push({ url, body: String(init.body), keepalive: init.keepalive === true });
    return Promise.resolve(new Response(null, { status: 204 }));
  });
});
afterEach(() => {
  client?.close();
  client = undefined;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** A fake pipe standing in for the transport `real` (its name and defaults), open on session `s1` (secret `secret`). */
async function openOn(real: typeof websocket) {
  const fake = fakeTransport();
  client = new PushwireClient('http://example.test/pushwire', {
    transports: [{ ...real, create: fake.definition.create }],
    random: () => 0.5,
  });
  await Promise.resolve();
  await fake.last().welcome({ sid: 's1' });
  expect(client.state).toBe('open');
  return { client, ...fake };
}

describe('leaving the page', () => {
  it('a page going into the back/forward cache (pagehide, persisted) keeps its session: no goodbye, still open', async () => {
    for (const real of [websocket, sse]) {
      const { client: opened, last } = await openOn(real);
      pagehide(true);
      expect(opened.state).toBe('open');
      expect(last().framesOf('bye')).toEqual([]);
      expect(beacons).toEqual([]);
      opened.close();
    }
  });

  it('a real unload on WebSocket says bye on the socket, ahead of closing it', async () => {
    const { client: opened, last } = await openOn(websocket);
    const closes: Array<{ code: number; reason: string }> = [];
    opened.on('close', (info) => closes.push(info));
    pagehide(false);
    expect(last().framesOf('bye')).toHaveLength(1);
    expect(last().closed).toBe(true);
    expect(beacons).toEqual([]);
    expect(opened.state).toBe('closed');
    expect(closes).toEqual([{ code: 1000, reason: 'the page was unloaded' }]);
  });

  it('a real unload on an HTTP transport sends the goodbye to {path}/bye in a request that outlives the page, proved by the session secret', async () => {
    for (const real of [sse, longPolling]) {
      beacons.length = 0;
      const { client: opened, last } = await openOn(real);
      pagehide(false);
      expect(beacons).toEqual([
        { url: 'http://example.test/pushwire/bye', body: JSON.stringify({ t: 'bye', sid: 's1', secret: 'secret' }), keepalive: true },
      ]);
      expect(last().framesOf('bye'), 'not on the connection, whose stream may end first').toEqual([]);
      expect(opened.state).toBe('closed');
    }
  });

  it('close() while reconnecting (no connection) still ends the session, with a request of its own', async () => {
    const { client: opened, last } = await openOn(websocket);
    last().drop(1006);
    expect(opened.state).toBe('reconnecting');
    opened.close();
    expect(beacons.map(({ body }) => JSON.parse(body) as unknown)).toEqual([{ t: 'bye', sid: 's1', secret: 'secret' }]);
  });

  it('a client that never had a session has nothing to say goodbye to', async () => {
    const fake = fakeTransport();
    client = new PushwireClient('http://example.test/pushwire', { transports: [{ ...sse, create: fake.definition.create }] });
    await Promise.resolve();
    pagehide(false);
    expect(beacons).toEqual([]);
    expect(client.state).toBe('closed');
  });
});
