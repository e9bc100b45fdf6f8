import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from '../../../src/server/broker/broker.js';
import { MemoryBroker } from '../../../src/server/broker/memory.js';
import { Idempotency, IdempotencyKeyReusedError } from '../../../src/server/idempotency.js';

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('idempotency keys remembered in the process (brokers that keep none)', () => {
  it('publishes once per key and channel within the retention, then forgets the key', async () => {
    const broker = new MemoryBroker();
    const clock = manualClock();
    const keys = new Idempotency(broker, { ttl: 1_000 }, clock.now);

    const first = await keys.publish('c', '1', 'k');
    const retry = await keys.publish('c', '1', 'k');
    const otherChannel = await keys.publish('d', '1', 'k');
    clock.advance(1_001);
    const afterRetention = await keys.publish('c', '1', 'k');

    expect([first.duplicate, retry.duplicate, otherChannel.duplicate, afterRetention.duplicate]).toEqual([false, true, false, false]);
    expect(retry.seq).toBe(first.seq);
    expect(afterRetention.seq).toBe(first.seq + 1);
    expect((await broker.history('c', {})).head).toBe(2);
    await broker.close();
  });

  it('refuses a key reused for other data, and gives a concurrent retry the first publish', async () => {
    const broker = new MemoryBroker();
    const keys = new Idempotency(broker);
    const [a, b] = await Promise.all([keys.publish('c', '"x"', 'k'), keys.publish('c', '"x"', 'k')]);
    expect([a.duplicate, b.duplicate, b.seq]).toEqual([false, true, a.seq]);
    await expect(keys.publish('c', '"y"', 'k')).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await broker.close();
  });

  it('holds at most maxKeys, forgetting the oldest first', async () => {
    const broker = new MemoryBroker();
    const keys = new Idempotency(broker, { maxKeys: 2 });
    await keys.publish('c', '1', 'k1');
    await keys.publish('c', '2', 'k2');
    await keys.publish('c', '3', 'k3');
    expect(keys.size).toBe(2);
    expect((await keys.publish('c', '3', 'k3')).duplicate).toBe(true);
    expect((await keys.publish('c', '1', 'k1')).duplicate).toBe(false); // pushed out: published again
    await broker.close();
  });

  it('forgets a key whose publish failed, so that its retry publishes', async () => {
    const broker = new MemoryBroker();
    let fail = true;
    const flaky = Object.assign(Object.create(broker) as MemoryBroker, {
      publish: (channel: string, json: string): Promise<BrokerMessage> =>
        fail ? Promise.reject(new Error('broker down')) : broker.publish(channel, json),
    });
    const keys = new Idempotency(flaky);
    await expect(keys.publish('c', '1', 'k')).rejects.toThrow('broker down');
    fail = false;
    expect((await keys.publish('c', '1', 'k')).duplicate).toBe(false);
    await broker.close();
  });

  it('refuses keys that are empty, too long or not printable ASCII', async () => {
    const keys = new Idempotency(new MemoryBroker());
    for (const bad of ['', 'x'.repeat(256), 'with space', 'é']) await expect(keys.publish('c', '1', bad)).rejects.toBeInstanceOf(TypeError);
  });
});
