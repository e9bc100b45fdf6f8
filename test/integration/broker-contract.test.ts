import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, BrokerMessage, HistoryLimits } from '../../src/server/index.js';
import { MemoryBroker } from '../../src/server/broker/memory.js';
import { RedisBroker } from '../../src/server/broker/redis.js';
import { closeAfterTest, closeAll } from '../support/close-after-test.js';
import { useTestRedis } from '../support/redis-server.js';
import { delay, retry, waitFor } from '../support/wait.js';

const redis = useTestRedis();

afterEach(closeAll);

const kinds: Array<{ name: string; skip: boolean; make: (history?: HistoryLimits) => Broker }> = [
  { name: 'memory', skip: false, make: (history) => new MemoryBroker(history ? { history } : {}) },
  {
    name: 'redis',
    skip: !redis.available,
    make: (history) => new RedisBroker({ url: redis.url, prefix: redis.prefix('t'), ...(history ? { history } : {}) }),
  },
];

/** The same contract for every broker: what the server relies on. */
for (const kind of kinds) {
  describe.skipIf(kind.skip)(`broker contract: ${kind.name}`, () => {
    const make = (history?: HistoryLimits): Broker => {
      return closeAfterTest(kind.make(history));
    };

    it('numbers messages 1, 2, 3… within one epoch and delivers them to listeners in order', async () => {
      const broker = make();
      const got: BrokerMessage[] = [];
      await broker.subscribe('c', (message) => got.push(message));
      const published = [];
      for (let i = 1; i <= 20; i++) published.push(await broker.publish('c', JSON.stringify({ i })));
      await waitFor(() => got.length === 20, 'all delivered');
      expect(published.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(got.map((m) => m.seq)).toEqual(published.map((m) => m.seq));
      expect(got.map((m) => JSON.parse(m.json).i)).toEqual(published.map((_, i) => i + 1));
      expect(new Set(got.map((m) => m.epoch)).size).toBe(1);
    });

    it('reports the same epoch and head before and after the first publish', async () => {
      const broker = make();
      const before = await broker.history('fresh', {});
      expect(before).toMatchObject({ ok: true, head: 0, messages: [] });
      const message = await broker.publish('fresh', '1');
      expect(message.epoch).toBe(before.epoch);
      expect(await broker.history('fresh', {})).toMatchObject({ epoch: before.epoch, head: 1 });
    });

    it('replays exactly the messages after a position, and refuses a position from another epoch or beyond the head', async () => {
      const broker = make();
      for (let i = 1; i <= 10; i++) await broker.publish('h', String(i));
      const { epoch } = await broker.history('h', {});
      const after = await broker.history('h', { after: [epoch, 6] });
      expect(after.ok && after.messages.map((m) => m.json)).toEqual(['7', '8', '9', '10']);
      expect(await broker.history('h', { after: [epoch, 10] })).toMatchObject({ ok: true, messages: [] });
      expect(await broker.history('h', { after: ['other', 6] })).toMatchObject({ ok: false, epoch, head: 10 });
      expect(await broker.history('h', { after: [epoch, 11] })).toMatchObject({ ok: false });
      const last = await broker.history('h', { last: 3 });
      expect(last.ok && last.messages.map((m) => m.json)).toEqual(['8', '9', '10']);
    });

    it('bounds history by count: a position older than what is kept cannot be replayed', async () => {
      const broker = make({ size: 5 });
      for (let i = 1; i <= 12; i++) await broker.publish('b', String(i));
      const { epoch } = await broker.history('b', {});
      expect(await broker.history('b', { after: [epoch, 3] })).toMatchObject({ ok: false, head: 12 });
      const kept = await broker.history('b', { after: [epoch, 7] });
      expect(kept.ok && kept.messages.map((m) => m.json)).toEqual(['8', '9', '10', '11', '12']);
    });

    it('bounds history by age: messages older than the TTL cannot be replayed', async () => {
      const broker = make({ ttl: 100 });
      await broker.publish('a', '1');
      const { epoch } = await broker.history('a', {});
      await delay(200);
      await broker.publish('a', '2');
      expect(await broker.history('a', { after: [epoch, 0] })).toMatchObject({ ok: false });
      const recent = await broker.history('a', { after: [epoch, 1] });
      expect(recent.ok && recent.messages.map((m) => m.json)).toEqual(['2']);
      const last = await broker.history('a', { last: 5 });
      expect(last.ok && last.messages.map((m) => m.json)).toEqual(['2']);
    });

    it('stops delivering after unsubscribe', async () => {
      const broker = make();
      const got: string[] = [];
      const stop = await broker.subscribe('u', (message) => got.push(message.json));
      await broker.publish('u', '1');
      await waitFor(() => got.length === 1, 'first');
      await stop();
      await broker.publish('u', '2');
      await delay(50);
      expect(got).toEqual(['1']);
    });
  });
}

describe.skipIf(!redis.available)('redis broker across nodes and restarts', () => {
  it('fans out between two broker instances (two nodes) in order', async () => {
    const prefix = redis.prefix('n');
    const nodeA = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
    const nodeB = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
    const got: number[] = [];
    await nodeA.subscribe('x', (message) => got.push(message.seq));
    for (let i = 0; i < 100; i++) await nodeB.publish('x', String(i));
    await waitFor(() => got.length === 100, 'all across nodes');
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('publishes a client frame at most once: the same session and sequence number resent (through another node) is not published again', async () => {
    const prefix = redis.prefix('once');
    const nodeA = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
    const nodeB = closeAfterTest(new RedisBroker({ url: redis.url, prefix }));
    const origin = (seq: number) => ({ session: 'S', seq, ttl: 60_000 });
    expect(await nodeA.publishOnce('x', '"first"', origin(1))).toBe(true);
    expect(await nodeA.publishOnce('x', '"second"', origin(2))).toBe(true);
    expect(await nodeB.publishOnce('x', '"first"', origin(1))).toBe(false); // resent after node A died
    expect(await nodeB.publishOnce('x', '"second"', origin(2))).toBe(false);
    expect(await nodeB.publishOnce('x', '"other session"', { ...origin(1), session: 'T' })).toBe(true);
    expect(await nodeB.publishOnce('x', '"third"', origin(3))).toBe(true);
    const history = await nodeB.history('x', { last: 10 });
    expect(history.ok && history.messages.map((message) => message.json)).toEqual(['"first"', '"second"', '"other session"', '"third"']);
  });

  it('a Redis restart without persistence changes the epoch', async () => {
    const broker = closeAfterTest(new RedisBroker({ url: redis.url, prefix: redis.prefix('r') }));
    const before = await broker.publish('e', '1');
    await redis.server.restart();
    const after = await retry(() => broker.publish('e', '2'));
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.seq).toBe(1);
    expect(await broker.history('e', { after: [before.epoch, before.seq] })).toMatchObject({ ok: false });
  });
});
