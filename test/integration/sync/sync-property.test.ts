import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../../src/sync/index.js';
import { jsonEqual } from '../../../src/protocol/json-patch.js';
import type { Broker, BrokerListener, BrokerMessage } from '../../../src/server/broker/broker.js';
import { MemoryBroker } from '../../../src/server/broker/memory.js';
import { closeAll } from '../../support/close-after-test.js';
import { delay, waitFor } from '../../support/wait.js';
import { startHarness, transportCases } from './harness.js';
import { seeded } from '../../support/seeded-random.js';
import { syncedState } from '../../../src/sync/index.js';

/**
 * The memory broker, except that while `lossy` is on it drops deliveries to listeners at random (as a
 * shared store's pub/sub may): the server must repair the gap from history, or reset its subscribers.
 */
class LossyBroker implements Broker {
  lossy = false;
  dropped = 0;
  private readonly inner: MemoryBroker;

  constructor(
    size: number,
    private readonly random: () => number,
    private readonly dropRate: number,
  ) {
    this.inner = new MemoryBroker({ history: { size } });
  }

  publish(channel: string, json: string): Promise<BrokerMessage> {
    return this.inner.publish(channel, json);
  }
  subscribe(channel: string, listener: BrokerListener): Promise<() => Promise<void>> {
    return this.inner.subscribe(channel, (message) => {
      if (this.lossy && this.random() < this.dropRate) {
        this.dropped++;
        return;
      }
      listener(message);
    });
  }
  history(...args: Parameters<Broker['history']>): ReturnType<Broker['history']> {
    return this.inner.history(...args);
  }
  state(channel: string): ReturnType<Broker['state']> {
    return this.inner.state(channel);
  }
  publishState(...args: Parameters<Broker['publishState']>): ReturnType<Broker['publishState']> {
    return this.inner.publishState(...args);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const doc = fc.dictionary(
  fc.constantFrom('a', 'b', 'c'),
  fc.oneof(fc.integer({ min: 0, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 })),
  {
    maxKeys: 3,
  },
);

const action = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), doc }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), item: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('plain' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lossy' as const), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cut' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restore' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 30 }) }) },
);

describe.each(transportCases)('synced state under faults over $name', (transport) => {
  it('after random diffs, dropped frames, reconnects and expired sessions the client state equals the server state (property)', async () => {
    // Faults the runs went through, to show the property was tested under them and not around them.
    const seen = { dropped: 0, resets: 0, expired: 0, reconnects: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer(),
        fc.array(action, { minLength: 5, maxLength: 30 }),
        async (historySize, seed, actions) => {
          const broker = new LossyBroker(historySize, seeded(seed), 0.3);
          // Long-polling has no socket whose end the server sees: a vanished client is noticed by the heartbeat.
          const h = await startHarness(transport, { broker, sessionTtl: 100, heartbeatInterval: 100, heartbeatGrace: 100 });
          try {
            // The server's document after each sequence number it published (plain messages keep the last one).
            const docs = new Map<number, unknown>([[0, null]]);
            let current: unknown = null;
            const record = (seq: number, next: unknown): void => {
              docs.set(seq, next);
              current = next;
            };
            const client = h.client();
            const synced = syncedState<Record<string, unknown>>(client, 'state');
            const wrong: string[] = [];
            synced.on('change', (change: StateChange<Record<string, unknown>>) => {
              // Every state the client shows is exactly the server's state at that position.
              if (!docs.has(change.seq) || !jsonEqual(change.state, docs.get(change.seq))) wrong.push(`${change.type}@${change.seq}`);
            });
            synced.on('error', () => {});
            synced.on('reset', () => seen.resets++);
            client.on('reconnecting', () => seen.reconnects++);
            await waitFor(() => synced.ready, 'first snapshot');
            let offline = false;
            for (const a of actions) {
              await delay(1); // let deliveries, reconnects and snapshot requests interleave with the changes
              switch (a.kind) {
                case 'set': {
                  const { seq } = await h.server.setState('state', a.doc);
                  record(seq, a.doc);
                  break;
                }
                case 'append': {
                  const base = (current ?? {}) as Record<string, unknown>;
                  const next = { ...base, log: [...(Array.isArray(base.log) ? base.log : []), a.item] };
                  const { seq } = await h.server.setState('state', next);
                  record(seq, next);
                  break;
                }
                case 'plain': {
                  const { seq } = await h.server.publish('state', { chat: 1 });
                  record(seq, current);
                  break;
                }
                case 'lossy':
                  broker.lossy = a.on;
                  break;
                case 'cut':
                  h.proxy.cut();
                  offline = true;
                  break;
                case 'restore':
                  h.proxy.restore();
                  offline = false;
                  break;
                case 'expire':
                  if (offline) {
                    await waitFor(() => h.server.stats().sessions === 0, 'session expiry', 2000);
                    seen.expired++;
                  }
                  break;
                case 'wait':
                  await delay(a.ms);
                  break;
              }
            }
            // Heal: no more losses, network back; one more message lets the server notice a dropped last one.
            broker.lossy = false;
            h.proxy.restore();
            const { seq: last } = await h.server.publish('state', { flush: true });
            record(last, current);
            await waitFor(() => synced.ready && synced.seq === last, `client reaches seq ${last}`, 8000);
            expect(wrong).toEqual([]);
            expect(synced.state).toEqual((await h.server.getState('state')).state);
            seen.dropped += broker.dropped;
          } finally {
            await closeAll(); // this run's server, proxy and client
          }
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
    expect(seen.dropped).toBeGreaterThan(0);
    expect(seen.resets).toBeGreaterThan(0);
    expect(seen.expired).toBeGreaterThan(0);
    expect(seen.reconnects).toBeGreaterThan(0);
    console.log('sync property faults:', JSON.stringify(seen));
  });
});
