import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Broker, BrokerMessage } from '../../../src/server/index.js';
import { MemoryBroker } from '../../../src/server/broker/memory.js';
import { RedisBroker } from '../../../src/server/broker/redis.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { useTestRedis } from '../../support/redis-server.js';
import { delay, retry, waitFor } from '../../support/wait.js';

const redis = useTestRedis();

afterEach(closeAll);

const kinds: Array<{ name: string; skip: boolean; make: (prefix: string) => Broker }> = [
  { name: 'memory', skip: false, make: () => new MemoryBroker() },
  { name: 'redis', skip: !redis.available, make: (prefix) => new RedisBroker({ url: redis.url, prefix, idleTtl: 300 }) },
];

/** What synced state relies on, for every broker. */
for (const kind of kinds) {
  describe.skipIf(kind.skip)(`broker state contract: ${kind.name}`, () => {
    let prefix = '';
    const make = (): Broker => {
      return closeAfterTest(kind.make(prefix));
    };
    afterEach(() => {
      prefix = redis.prefix('s');
    });
    beforeAll(() => {
      prefix = redis.prefix('s');
    });

    it('a channel without state has seq 0 and null in the channel epoch', async () => {
      const broker = make();
      const snapshot = await broker.state('fresh');
      const { epoch } = await broker.history('fresh', {});
      expect(snapshot).toEqual({ epoch, seq: 0, json: 'null' });
    });

    it('publishState publishes the change and stores the snapshot at its sequence number, if the snapshot is where expected', async () => {
      const broker = make();
      const { epoch } = await broker.state('doc');
      await broker.publish('doc', '"plain"'); // seq 1: a plain message does not move the snapshot
      expect((await broker.state('doc')).seq).toBe(0);
      const first = await broker.publishState('doc', '{"$patch":[]}', '{"v":1}', [epoch, 0]);
      expect(first).toMatchObject({ epoch, seq: 2, json: '{"$patch":[]}' });
      expect(await broker.state('doc')).toEqual({ epoch, seq: 2, json: '{"v":1}' });
      // A writer that computed its change from the old snapshot loses, and nothing is published.
      expect(await broker.publishState('doc', '{"$patch":[]}', '{"v":9}', [epoch, 0])).toBeNull();
      expect(await broker.publishState('doc', '{"$patch":[]}', '{"v":9}', ['other', 2])).toBeNull();
      expect((await broker.history('doc', {})).head).toBe(2);
      const history = await broker.history('doc', { after: [epoch, 0] });
      expect(history.ok && history.messages.map((m) => m.seq)).toEqual([1, 2]);
    });

    it('a listener that sees a state change finds it in the snapshot', async () => {
      const broker = make();
      const seen: Array<{ message: BrokerMessage; snapshotSeq: number }> = [];
      await broker.subscribe('live', (message) => {
        void broker.state('live').then((snapshot) => seen.push({ message, snapshotSeq: snapshot.seq }));
      });
      const { epoch } = await broker.state('live');
      const one = await broker.publishState('live', '{"$patch":[1]}', '1', [epoch, 0]);
      await broker.publishState('live', '{"$patch":[2]}', '2', [epoch, one!.seq]);
      await waitFor(() => seen.length === 2, 'both changes delivered');
      for (const { message, snapshotSeq } of seen) expect(snapshotSeq).toBeGreaterThanOrEqual(message.seq);
    });

    it('a null snapshot is a tombstone that keeps its sequence number', async () => {
      const broker = make();
      const { epoch } = await broker.state('gone');
      const set = await broker.publishState('gone', '{"$patch":[]}', '{"a":1}', [epoch, 0]);
      const cleared = await broker.publishState('gone', '{"$patch":[]}', 'null', [epoch, set!.seq]);
      expect(await broker.state('gone')).toEqual({ epoch, seq: cleared!.seq, json: 'null' });
    });
  });
}

describe.skipIf(!redis.available)('redis broker state', () => {
  it('a channel holding state outlives the idle TTL; one whose state is null expires like any channel', async () => {
    const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix: redis.prefix('ttl'), idleTtl: 100 }));
    const kept = await broker.state('kept');
    await broker.publishState('kept', '{"$patch":[]}', '{"a":1}', [kept.epoch, 0]);
    await broker.publish('kept', '"chat"'); // a plain message must not put the state back on a timer
    const dropped = await broker.state('dropped');
    await broker.publishState('dropped', '{"$patch":[]}', 'null', [dropped.epoch, 0]);
    await delay(300);
    expect(await broker.state('kept')).toEqual({ epoch: kept.epoch, seq: 1, json: '{"a":1}' });
    expect((await broker.state('dropped')).epoch).not.toBe(dropped.epoch);
  });

  it('a Redis restart loses the state with the epoch, so clients reset to an empty document', async () => {
    const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix: redis.prefix('rs') }));
    const before = await broker.state('doc');
    await broker.publishState('doc', '{"$patch":[]}', '{"a":1}', [before.epoch, 0]);
    await redis.server.restart();
    const after = await retry(() => broker.state('doc'));
    expect(after.epoch).not.toBe(before.epoch);
    expect(after).toMatchObject({ seq: 0, json: 'null' });
  });
});
