import { afterEach, describe, expect, it } from 'vitest';
import type { OpenInfo } from '../../src/client/index.js';
import { openClient } from '../support/client-harness.js';
import { closeAll } from '../support/close-after-test.js';
import { startTestServer } from '../support/server-harness.js';
import { delay, waitFor } from '../support/wait.js';

afterEach(closeAll);

/** Lets the event loop run I/O (deliveries, reconnects) between bursts of publishes. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('resume after the server-side socket is killed', () => {
  it('delivers 10,000 messages exactly once and in order across several killed connections', async () => {
    // The publisher here outruns reconnects (it yields only every 250 messages), so while the client is
    // away the session must be able to hold everything published meanwhile: a bound above the whole run.
    const server = await startTestServer({ outbound: { maxFrames: 20_000, maxBytes: 16 << 20 } });
    const client = await openClient(server.url);
    const opens: OpenInfo[] = [];
    client.on('open', (info) => opens.push(info));
    const seqs: number[] = [];
    const values: number[] = [];
    client.subscribe<number>('stream', {
      onMessage: (value, info) => {
        values.push(value);
        seqs.push(info.seq);
      },
    });
    await waitFor(() => server.pushwire.stats().channels === 1, 'subscribed');

    let kills = 0;
    for (let i = 1; i <= 10_000; i++) {
      await server.pushwire.publish('stream', i);
      if (i % 250 === 0) await tick();
      if (i % 2_000 === 0 && i < 10_000) {
        // Publishing went on while the client was away; cut it again once it is back.
        await waitFor(() => server.pushwire.stats().connected === 1, 'client reconnected');
        expect(server.killConnections()).toBeGreaterThan(0);
        kills++;
      }
    }
    await waitFor(() => values.length >= 10_000, 'all 10,000 delivered', 30_000);
    await delay(100); // anything extra (a duplicate) would arrive now
    expect(kills).toBe(4);
    expect(values.length).toBe(10_000);
    expect(values).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(seqs).toEqual(values);
    // Every reconnect resumed the same session: nothing was recovered from history or reset.
    expect(opens.length).toBeGreaterThanOrEqual(4);
    expect(opens.every((info) => info.resumed)).toBe(true);
  });

  it('hands 2,000 pipelined client publishes to the broker exactly once across killed connections', async () => {
    const server = await startTestServer({ canPublish: () => true });
    const received: number[] = [];
    await server.pushwire.broker.subscribe('up', (message) => received.push(JSON.parse(message.json) as number));
    const client = await openClient(server.url);
    const acks: Array<Promise<void>> = [];
    for (let i = 1; i <= 2_000; i++) {
      acks.push(client.publish('up', i));
      if (i % 100 === 0) await tick();
      if (i % 500 === 0) {
        server.killConnections();
        // Stay within the client's send queue bound (1,000 unacknowledged frames by default).
        await Promise.all(acks.slice(-500));
      }
    }
    await Promise.all(acks);
    await delay(100);
    expect(received).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
  });
});
