import { afterEach, describe, expect, it, vi } from 'vitest';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { delay } from '../support/wait.js';

const HOUR = 3_600_000;

/** Moves the process's wall clock (Date.now) by `offset` ms from now on, as NTP or an operator would. */
function stepWallClock(offset: number): void {
  const realNow = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
}

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

describe('a stepped wall clock changes no duration on the server', () => {
  it('sends after the clock steps back an hour are not rate-limited', async () => {
    const server = await startTestServer({ canPublish: () => true, limits: { framesPerSecond: 1_000, frameBurst: 1_000 } });
    const client = await openClient(server.url);
    await client.publish('before', 0);
    stepWallClock(-HOUR);
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => client.publish('after', i)));
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toEqual([]);
    expect(server.pushwire.stats().counters.limitHits.rate).toBe(0);
  });

  it('connections are not taken for dead when the clock steps forward an hour', async () => {
    const server = await startTestServer({ heartbeatInterval: 100, heartbeatGrace: 100 });
    const client = await openClient(server.url);
    await client.publish('x', 1).catch(() => {}); // anything: the server has heard from the client
    stepWallClock(HOUR);
    await delay(350); // three heartbeat sweeps, each well within interval + grace of the client's last pong
    expect(server.pushwire.stats().counters.heartbeatTimeouts).toBe(0);
    expect(client.state).toBe('open');
  });
});
