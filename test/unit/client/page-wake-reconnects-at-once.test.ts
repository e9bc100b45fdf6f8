import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PushwireClient } from '../../../src/client/index.js';
import { advance, settle, useMockServer } from '../fakes/index.js';

const mock = useMockServer();
/** Backoff far longer than any test waits: a connection before it proves the wake worked. */
const reconnect = { min: 60_000, max: 60_000 };
const high = (): number => 0.9;

function override(target: object, property: string, value: unknown): void {
  Object.defineProperty(target, property, { value, configurable: true });
}

afterEach(() => {
  delete (document as { visibilityState?: string }).visibilityState;
  delete (navigator as { onLine?: boolean }).onLine;
});

/** An open client whose connection just dropped: it is waiting out a 54 s backoff. */
async function waitingToReconnect(): Promise<PushwireClient> {
  const client = await mock.open({ reconnect, random: high });
  mock.last.close(1006);
  await settle();
  expect(client.state).toBe('reconnecting');
  return client;
}

describe('page events cut the backoff short', () => {
  const wakes: [string, () => void][] = [
    ['online', () => window.dispatchEvent(new Event('online'))],
    ['pageshow', () => window.dispatchEvent(new Event('pageshow'))],
    ['focus', () => window.dispatchEvent(new Event('focus'))],
    [
      'visibilitychange to visible',
      () => {
        override(document, 'visibilityState', 'visible');
        document.dispatchEvent(new Event('visibilitychange'));
      },
    ],
  ];

  for (const [name, wake] of wakes) {
    it(`reconnects at once on ${name}`, async () => {
      await waitingToReconnect();
      wake();
      await settle();
      expect(mock.connections).toHaveLength(2);
      expect(mock.last.frames[0]).toMatchObject({ t: 'hello', sid: 'sid-1' });
    });
  }

  it('replaces the pending retry: one attempt, not two', async () => {
    await waitingToReconnect();
    window.dispatchEvent(new Event('online'));
    await settle();
    mock.last.welcome({ resumed: true, hb: 600_000 }); // no heartbeat timeout within this test
    await advance(120_000);
    expect(mock.connections).toHaveLength(2);
  });

  it('also cuts short the retry of a first connect that failed', async () => {
    const client = mock.connect({ reconnect, random: high });
    await settle();
    mock.last.close(1006);
    await settle();
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(mock.connections).toHaveLength(2);
    expect(client.state).toBe('connecting');
  });

  it('does nothing while the page is hidden (visibilitychange to hidden)', async () => {
    await waitingToReconnect();
    override(document, 'visibilityState', 'hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(mock.connections).toHaveLength(1);
  });

  it('does nothing when the browser says it is offline', async () => {
    await waitingToReconnect();
    override(navigator, 'onLine', false);
    window.dispatchEvent(new Event('offline'));
    await settle();
    expect(mock.connections).toHaveLength(1);
  });

  it('does not start a second attempt while one is already connecting', async () => {
    await waitingToReconnect();
    window.dispatchEvent(new Event('online'));
    await settle();
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('pageshow'));
    await settle();
    expect(mock.connections).toHaveLength(2);
  });

  it('a page coming back to a connection that died meanwhile reconnects at once, not after a backoff', async () => {
    const client = await mock.open({ reconnect, random: high }, { hb: 1000 });
    override(document, 'visibilityState', 'hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    vi.setSystemTime(Date.now() + 60_000); // a background tab: timers did not run
    override(document, 'visibilityState', 'visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(client.state).toBe('reconnecting');
    expect(mock.connections).toHaveLength(2);
    expect(mock.last.frames[0]).toMatchObject({ t: 'hello', sid: 'sid-1' });
  });

  it('an online event finding the connection dead reconnects at once too', async () => {
    await mock.open({ reconnect, random: high }, { hb: 1000 });
    vi.setSystemTime(Date.now() + 60_000);
    window.dispatchEvent(new Event('online'));
    await settle();
    expect(mock.connections).toHaveLength(2);
  });

  it('without a wake event the client waits the whole backoff', async () => {
    await waitingToReconnect();
    await advance(53_999);
    expect(mock.connections).toHaveLength(1);
    await advance(1);
    expect(mock.connections).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(1); // only the new attempt's connect timer (the health check shares it)
  });
});
