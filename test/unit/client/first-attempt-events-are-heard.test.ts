import { describe, expect, it, vi } from 'vitest';
import { connect, sse, type TransportDefinition, websocket } from '../../../src/client/index.js';
import { delay } from '../../support/wait.js';

const blocked: TransportDefinition = {
  name: 'websocket',
  create() {
    throw new Error('blocked by the page');
  },
};
/** A transport that never gets anywhere (it stays silent), so the client stays on it. */
const silent: TransportDefinition = { name: 'sse', create: () => ({ send() {}, close() {} }) };

describe('the first connection attempt', () => {
  it('starts after connect() returns, so listeners added right away hear its fallback', async () => {
    const client = connect('http://pushwire.test/pushwire', { transports: [blocked, silent], transportMemory: { storage: null } });
    const fallbacks: Array<{ from: string; to: string | null }> = [];
    client.on('fallback', (info) => fallbacks.push({ from: info.from, to: info.to }));
    expect(client.transport).toBe('websocket'); // the transport about to be tried
    await delay(0);
    expect(fallbacks).toEqual([{ from: 'websocket', to: 'sse' }]);
    client.close();
  });
});

describe('connect timeout per transport', () => {
  it('gives each transport its own connect timeout', async () => {
    const hanging: TransportDefinition = { name: 'websocket', create: () => ({ send() {}, close() {} }) };
    const client = connect('http://pushwire.test/pushwire', {
      transports: [hanging, silent],
      transportMemory: { storage: null },
      connectTimeout: { websocket: 30, sse: 60_000 },
    });
    const reasons: string[] = [];
    client.on('fallback', (info) => reasons.push(info.reason));
    await delay(100);
    expect(reasons).toEqual(['websocket: no welcome within 30 ms (connect timeout)']);
    client.close();
  });

  it('by default gives up on a silent WebSocket after 4 s, and on the HTTP transports after 10 s', async () => {
    vi.useFakeTimers();
    try {
      // The real transports' own defaults, on pipes that never answer.
      const hanging: TransportDefinition = { ...websocket, create: () => ({ send() {}, close() {} }) };
      const hangingSse: TransportDefinition = { ...sse, create: () => ({ send() {}, close() {} }) };
      const client = connect('http://pushwire.test/pushwire', {
        transports: [hanging, hangingSse, silent],
        transportMemory: { storage: null },
      });
      const reasons: string[] = [];
      client.on('fallback', (info) => reasons.push(info.reason));
      await vi.advanceTimersByTimeAsync(3_999);
      expect(reasons).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(reasons).toEqual(['websocket: no welcome within 4000 ms (connect timeout)']);
      await vi.advanceTimersByTimeAsync(9_999);
      expect(reasons).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2);
      expect(reasons).toEqual([
        'websocket: no welcome within 4000 ms (connect timeout)',
        'sse: no welcome within 10000 ms (connect timeout)',
      ]);
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
