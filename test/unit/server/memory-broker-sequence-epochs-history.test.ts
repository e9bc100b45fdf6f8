// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BrokerMessage, HistoryResult } from '../../../src/server/broker/broker.js';
import { MemoryBroker, type MemoryBrokerOptions } from '../../../src/server/broker/memory.js';
import { closeAfterTest, closeAll } from '../../support/close-after-test.js';
import { seeded } from '../../support/seeded-random.js';

function broker(options?: MemoryBrokerOptions): MemoryBroker {
  return closeAfterTest(new MemoryBroker(options));
}
afterEach(async () => {
  await closeAll();
  vi.useRealTimers();
});

async function publishMany(b: MemoryBroker, channel: string, count: number): Promise<BrokerMessage[]> {
  const out: BrokerMessage[] = [];
  for (let i = 1; i <= count; i++) out.push(await b.publish(channel, JSON.stringify(i)));
  return out;
}

const seqs = (messages: BrokerMessage[]): number[] => messages.map((m) => m.seq);

describe('MemoryBroker sequence numbers and epochs', () => {
  it('numbers each channel 1, 2, 3… in one epoch, independently of other channels', async () => {
    const b = broker();
    const a = await publishMany(b, 'a', 3);
    const other = await publishMany(b, 'b', 2);
    expect(seqs(a)).toEqual([1, 2, 3]);
    expect(seqs(other)).toEqual([1, 2]);
    expect(new Set(a.map((m) => m.epoch)).size).toBe(1);
    expect(a[0]!.epoch).not.toBe(other[0]!.epoch);
    expect(a[0]).toMatchObject({ channel: 'a', json: '1' });
  });

  it('gives every channel a new epoch in a new broker (a restart loses history)', async () => {
    const before = await broker().publish('a', '1');
    const after = await broker().publish('a', '1');
    expect(after.seq).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.epoch).toMatch(/^[\w-]{8}$/);
  });

  it('reports the epoch and head of a channel in every history answer', async () => {
    const b = broker();
    const [first] = await publishMany(b, 'a', 4);
    expect(await b.history('a', {})).toEqual({ ok: true, epoch: first!.epoch, head: 4, messages: [] });
  });

  it('keeps the epoch of a channel without history whose last listener just left (a session may come back)', async () => {
    const b = broker({ history: { size: 0 } });
    const stop = await b.subscribe('a', () => {});
    const before = await b.publish('a', '1');
    await stop();
    const after = await b.publish('a', '2');
    expect([after.epoch, after.seq]).toEqual([before.epoch, 2]);
  });

  it('keeps the epoch of a channel that still has history after its last listener left', async () => {
    const b = broker();
    const stop = await b.subscribe('a', () => {});
    const before = await b.publish('a', '1');
    await stop();
    const after = await b.publish('a', '2');
    expect([after.epoch, after.seq]).toEqual([before.epoch, 2]);
  });

  it('sweeps channels whose history expired once a minute, so they return in a new epoch', async () => {
    vi.useFakeTimers();
    let now = 0;
    const b = broker({ history: { ttl: 1000 }, now: () => now });
    const before = await b.publish('a', '1');
    now = 2000;
    vi.advanceTimersByTime(60_000);
    const after = await b.publish('a', '2');
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.seq).toBe(1);
  });
});

describe('MemoryBroker fan-out', () => {
  it('delivers to every listener of the channel in publish order, and stops after unsubscribe', async () => {
    const b = broker();
    const one: number[] = [];
    const two: number[] = [];
    const stopOne = await b.subscribe('a', (m) => one.push(m.seq));
    await b.subscribe('a', (m) => two.push(m.seq));
    await b.subscribe('other', () => {
      throw new Error('wrong channel');
    });
    await publishMany(b, 'a', 3);
    await stopOne();
    await b.publish('a', '4');
    expect(one).toEqual([1, 2, 3]);
    expect(two).toEqual([1, 2, 3, 4]);
  });
});

describe('MemoryBroker history by count', () => {
  it('keeps the most recent `size` messages', async () => {
    const b = broker({ history: { size: 3 } });
    await publishMany(b, 'a', 5);
    expect(seqs(messagesOf(await b.history('a', { last: 10 })))).toEqual([3, 4, 5]);
    expect(seqs(messagesOf(await b.history('a', { last: 2 })))).toEqual([4, 5]);
    expect(seqs(messagesOf(await b.history('a', { last: 0 })))).toEqual([]);
  });

  it('answers `after` inside the retained range with exactly the messages after it', async () => {
    const b = broker({ history: { size: 3 } });
    const [first] = await publishMany(b, 'a', 5);
    const epoch = first!.epoch;
    expect(seqs(messagesOf(await b.history('a', { after: [epoch, 2] })))).toEqual([3, 4, 5]);
    expect(seqs(messagesOf(await b.history('a', { after: [epoch, 4] })))).toEqual([5]);
    expect(await b.history('a', { after: [epoch, 5] })).toEqual({ ok: true, epoch, head: 5, messages: [] });
  });

  it('answers ok:false when the history no longer reaches back to `after`', async () => {
    const b = broker({ history: { size: 3 } });
    const [first] = await publishMany(b, 'a', 5);
    const epoch = first!.epoch;
    expect(await b.history('a', { after: [epoch, 1] })).toEqual({ ok: false, epoch, head: 5 });
    expect(await b.history('a', { after: [epoch, 0] })).toEqual({ ok: false, epoch, head: 5 });
  });

  it('answers ok:false for a position of another epoch or beyond the head', async () => {
    const b = broker();
    const [first] = await publishMany(b, 'a', 3);
    expect(await b.history('a', { after: ['old-epoch', 1] })).toMatchObject({ ok: false, head: 3 });
    expect(await b.history('a', { after: [first!.epoch, 4] })).toMatchObject({ ok: false, head: 3 });
  });

  it('answers `after` [epoch, 0] with everything when nothing was trimmed yet', async () => {
    const b = broker();
    const [first] = await publishMany(b, 'a', 3);
    expect(seqs(messagesOf(await b.history('a', { after: [first!.epoch, 0] })))).toEqual([1, 2, 3]);
  });

  it('with size 0 keeps nothing: only the head itself is a position it can continue from', async () => {
    const b = broker({ history: { size: 0 } });
    const [first] = await publishMany(b, 'a', 3);
    const epoch = first!.epoch;
    expect(await b.history('a', { after: [epoch, 3] })).toEqual({ ok: true, epoch, head: 3, messages: [] });
    expect(await b.history('a', { after: [epoch, 2] })).toMatchObject({ ok: false });
    expect(messagesOf(await b.history('a', { last: 5 }))).toEqual([]);
  });

  it('stays correct across many trims (the retained window is compacted now and then)', async () => {
    const b = broker({ history: { size: 10 } });
    const [first] = await publishMany(b, 'a', 500);
    const epoch = first!.epoch;
    for (const after of [490, 491, 495, 499, 500]) {
      const expected = Array.from({ length: 500 - after }, (_, i) => after + 1 + i);
      expect(seqs(messagesOf(await b.history('a', { after: [epoch, after] })))).toEqual(expected);
    }
    expect(await b.history('a', { after: [epoch, 489] })).toMatchObject({ ok: false });
    expect(messagesOf(await b.history('a', { last: 3 })).map((m) => m.json)).toEqual(['498', '499', '500']);
  });
});

describe('MemoryBroker history by age', () => {
  it('drops messages older than ttl and then refuses positions before them', async () => {
    let now = 0;
    const b = broker({ history: { ttl: 1000 }, now: () => now });
    const m1 = await b.publish('a', '1');
    now = 500;
    await b.publish('a', '2');
    now = 1200;
    await b.publish('a', '3');
    const epoch = m1.epoch;

    // At 1200 the oldest kept time is 200: message 1 (time 0) is gone.
    expect(seqs(messagesOf(await b.history('a', { last: 10 })))).toEqual([2, 3]);
    expect(await b.history('a', { after: [epoch, 0] })).toMatchObject({ ok: false, head: 3 });
    expect(seqs(messagesOf(await b.history('a', { after: [epoch, 1] })))).toEqual([2, 3]);

    now = 1500; // exactly ttl after message 2: still kept
    expect(seqs(messagesOf(await b.history('a', { after: [epoch, 1] })))).toEqual([2, 3]);
    now = 1501;
    expect(await b.history('a', { after: [epoch, 1] })).toMatchObject({ ok: false });
    expect(seqs(messagesOf(await b.history('a', { after: [epoch, 2] })))).toEqual([3]);
  });

  it('stamps each message with the broker time', async () => {
    const b = broker({ now: () => 1234 });
    expect((await b.publish('a', '1')).time).toBe(1234);
  });
});

describe('MemoryBroker history against a model (seeded random operations)', () => {
  for (const seed of [1, 2, 3]) {
    it(`answers every query as the model does (size 7, ttl 50, seed ${seed})`, async () => {
      const random = seeded(seed);
      let now = 0;
      const b = broker({ history: { size: 7, ttl: 50 }, now: () => now });
      const published: { seq: number; time: number }[] = [];
      const epoch = (await b.publish('a', '0')).epoch;
      published.push({ seq: 1, time: now });

      for (let step = 0; step < 600; step++) {
        const roll = random();
        if (roll < 0.45) {
          const message = await b.publish('a', String(step));
          published.push({ seq: message.seq, time: now });
          expect(message.seq).toBe(published.length);
        } else if (roll < 0.6) {
          now += Math.floor(random() * 30);
        } else {
          // The model: the last 7 messages, minus those older than ttl.
          const head = published.length;
          const retained = published
            .slice(-7)
            .filter((m) => m.time >= now - 50)
            .map((m) => m.seq);
          const oldest = retained[0] ?? head + 1;
          const after = Math.floor(random() * (head + 3)) - 1;
          const result = await b.history('a', { after: [epoch, after] });
          const ok = after >= oldest - 1 && after <= head && after >= 0;
          expect(result.ok, `after ${after}, head ${head}, retained ${retained.join(',')}`).toBe(ok);
          if (result.ok) expect(seqs(result.messages)).toEqual(retained.filter((seq) => seq > after));
          const last = Math.floor(random() * 10);
          expect(seqs(messagesOf(await b.history('a', { last })))).toEqual(last === 0 ? [] : retained.slice(-last));
        }
      }
    });
  }
});

function messagesOf(result: HistoryResult): BrokerMessage[] {
  if (!result.ok) throw new Error(`expected history to be available, got ${JSON.stringify(result)}`);
  return result.messages;
}
