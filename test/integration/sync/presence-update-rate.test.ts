import { afterEach, describe, expect, it } from 'vitest';
import { openClient } from '../../support/client-harness.js';
import { closeAll } from '../../support/close-after-test.js';
import { startTestServer } from '../../support/server-harness.js';
import { waitFor } from '../../support/wait.js';

afterEach(closeAll);

describe('presence updates against a real server', () => {
  it('a client updating its presence faster than updatesPerSecond gets rate_limited; the others see only what passed', async () => {
    const server = await startTestServer({ presence: { updatesPerSecond: 5, updateBurst: 5 } });
    const busy = await openClient(server.url);
    const watcher = await openClient(server.url);
    const seen: unknown[] = [];
    watcher.subscribe('$presence:room', (message) => seen.push(message));
    await waitFor(() => server.pushwire.stats().channels === 1, 'watcher subscribed');
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => busy.joinPresence('room', { typing: i })));
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(34);
    expect(refused.every((result) => (result as PromiseRejectedResult).reason.code === 'rate_limited')).toBe(true);
    const passed = results.length - refused.length;
    await waitFor(() => seen.length === passed, 'every accepted update seen');
    expect(busy.state).toBe('open');
  });
});
