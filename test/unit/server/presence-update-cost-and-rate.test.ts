// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import type { Position } from '../../../src/protocol/frames.js';
import { MemoryBroker } from '../../../src/server/broker/memory.js';
import { PresenceRefusal, type PresenceOptions } from '../../../src/server/presence/presence-registry.js';
import { closeAll } from '../../support/close-after-test.js';
import { presenceFixture } from '../../support/presence-fixture.js';

/** The memory broker, counting the bytes of state snapshots serialized for it (when, and only if, they are). */
class SnapshotCountingBroker extends MemoryBroker {
  serializedBytes = 0;

  override publishState(channel: string, json: string, snapshot: string | (() => string), expected: Position) {
    const counted = typeof snapshot === 'string' ? this.count(snapshot) : (): string => this.count(snapshot());
    return super.publishState(channel, json, counted, expected);
  }

  private count(json: string): string {
    this.serializedBytes += json.length;
    return json;
  }
}

afterEach(closeAll);

const setup = (options: PresenceOptions) => presenceFixture(options, new SnapshotCountingBroker());

describe('presence updates', () => {
  it('an update in a room of 1,000 members serializes no whole document (the snapshot is made when read)', async () => {
    const { broker, store, registry, session } = setup({ updatesPerSecond: 1_000, updateBurst: 1_000 });
    for (let i = 0; i < 999; i++) await registry.join(session(`member-${i}`), 'room', { name: `Member number ${i}`, status: 'here' });
    const busy = session('busy');
    await registry.join(busy, 'room', { typing: 0 });
    const documentBytes = JSON.stringify((await store.read('$presence:room')).state).length;
    expect(documentBytes).toBeGreaterThan(50_000);

    broker.serializedBytes = 0;
    for (let i = 1; i <= 100; i++) await registry.join(busy, 'room', { typing: i });
    // Before: 100 updates serialized the whole document each time (100 × 50+ KB).
    expect(broker.serializedBytes).toBe(0);
    const read = await store.read<Record<string, Record<string, unknown>>>('$presence:room');
    expect(Object.values(read.state!['user:busy']!)).toEqual([{ typing: 100 }]);
    expect(broker.serializedBytes).toBe(JSON.stringify(read.state).length); // once, for the read
  });

  it('a session making more than updatesPerSecond joins and updates is refused with rate_limited', async () => {
    const { registry, session } = setup({ updatesPerSecond: 5, updateBurst: 5 });
    const busy = session('busy');
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => registry.join(busy, 'room', { typing: i })));
    const refused = results
      .filter((result) => result.status === 'rejected')
      .map((result) => (result as PromiseRejectedResult).reason as PresenceRefusal);
    expect(results.length - refused.length).toBeLessThanOrEqual(6); // the burst (and at most one refilled)
    expect(refused.length).toBeGreaterThanOrEqual(44);
    expect(refused.every((refusal) => refusal instanceof PresenceRefusal && refusal.code === 'rate_limited')).toBe(true);
    // Another session is not slowed down by it.
    await expect(registry.join(session('calm'), 'room', { here: true })).resolves.toMatchObject({ seq: expect.any(Number) });
  });
});
