// @vitest-environment node
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../../src/server/metrics.js';
import { FRAME_OVERHEAD, frameCost, MemoryBudget, type MemoryLevel, type SessionMemory } from '../../../src/server/memory-budget.js';
import { OutboundBuffer } from '../../../src/server/outbound-buffer.js';
import { OutFrame } from '../../../src/server/out-frame.js';
import { ServerSession, type SessionHost } from '../../../src/server/session.js';
import type { Connection } from '../../../src/server/connection.js';

const frame = (bytes: number): OutFrame => new OutFrame('x'.repeat(bytes), true);
const tickEnd = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

function budget(limits: Partial<{ inboxBytes: number; addressBytes: number; processBytes: number }> = {}) {
  const shed: Array<[string, MemoryLevel]> = [];
  const counters = new Counters();
  const accounts = new Map<string, { memory: SessionMemory; buffer: OutboundBuffer }>();
  const memory = new MemoryBudget(
    { inboxBytes: Infinity, addressBytes: Infinity, processBytes: Infinity, ...limits },
    counters,
    (account, level) => {
      shed.push([account.sessionId, level]);
      const shedOne = accounts.get(account.sessionId)!;
      shedOne.buffer.clear();
      memory.close(account);
    },
  );
  const open = (id: string, address: string): OutboundBuffer => {
    const account = memory.open(id, address);
    const buffer = new OutboundBuffer(1e9, 1e12, account);
    accounts.set(id, { memory: account, buffer });
    return buffer;
  };
  return { memory, shed, counters, open, account: (id: string) => accounts.get(id)!.memory };
}

describe('MemoryBudget', () => {
  it('counts a frame held by several sessions once in the process, and whole in each session, until the last one acknowledges it', () => {
    const { memory, open, account } = budget();
    const a = open('a', '10.0.0.1');
    const b = open('b', '10.0.0.2');
    const shared = frame(1_000);
    a.push(shared);
    b.push(shared);
    b.push(frame(500));
    expect(memory.bytes).toBe(frameCost(shared) + 500 + FRAME_OVERHEAD);
    expect(memory.sessions).toBe(2 * frameCost(shared) + 500 + FRAME_OVERHEAD);
    expect([account('a').bytes, account('b').bytes]).toEqual([frameCost(shared), frameCost(shared) + 500 + FRAME_OVERHEAD]);
    a.ack(1);
    expect(memory.bytes).toBe(frameCost(shared) + 500 + FRAME_OVERHEAD);
    b.clear();
    expect([memory.bytes, memory.sessions, shared.holders]).toEqual([0, 0, 0]);
  });

  it('refuses new sessions from an address at 90% of its budget, and over it sheds that address, largest session first, down to 90%', async () => {
    const { memory, shed, counters, open } = budget({ addressBytes: 10_000 });
    open('small', '10.0.0.1').push(frame(2_000));
    open('large', '10.0.0.1').push(frame(5_000));
    open('other', '10.0.0.2').push(frame(8_000));
    expect(memory.refusesSession('10.0.0.1')).toBeNull();
    open('third', '10.0.0.1').push(frame(1_700)); // 90% of the budget: new sessions refused, nobody shed yet
    expect(memory.refusesSession('10.0.0.1')).toBe('address');
    await tickEnd();
    expect(shed).toEqual([]);
    open('fourth', '10.0.0.1').push(frame(1_500)); // the address now holds ~10.5 KB
    expect(memory.refusesSession('10.0.0.1')).toBe('address');
    expect(memory.refusesSession('10.0.0.2')).toBeNull();
    await tickEnd();
    expect(shed).toEqual([['large', 'address']]);
    expect(counters.limitHits.address_bytes).toBe(1);
    expect(memory.refusesSession('10.0.0.1')).toBeNull();
  });

  it('sheds the largest sessions of the process once per tick when the process goes over its budget', async () => {
    const { memory, shed, open } = budget({ processBytes: 10_000 });
    const a = open('a', '10.0.0.1');
    for (let i = 0; i < 4; i++) a.push(frame(1_000));
    open('b', '10.0.0.2').push(frame(3_000));
    open('c', '10.0.0.3').push(frame(3_000)); // ~10.5 KB: over
    expect(memory.refusesSession('10.0.0.9')).toBe('process');
    await tickEnd();
    expect(shed).toEqual([['a', 'process']]);
    expect(memory.bytes).toBeLessThanOrEqual(9_000);
  });

  it('admits inbox bytes up to the session bound, then names the level that refuses', () => {
    const { open, account, counters } = budget({ inboxBytes: 1_000, processBytes: 5_000 });
    open('a', '10.0.0.1');
    const a = account('a');
    expect(a.takeInbox(800)).toBeNull();
    expect(a.takeInbox(300)).toBe('session');
    a.leftInbox(800);
    open('b', '10.0.0.2').push(frame(4_700));
    expect(a.takeInbox(300)).toBe('process');
    expect([counters.limitHits.inbox_bytes, counters.limitHits.process_bytes]).toEqual([1, 1]);
  });

  it('counts what a held frame really costs: FRAME_OVERHEAD covers the object, the string header and the buffer slot', () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const count = 50_000;
    collect();
    const before = process.memoryUsage().heapUsed;
    const buffer = new OutboundBuffer(1e9, 1e12);
    for (let i = 0; i < count; i++) buffer.push(new OutFrame(`{"t":"m","q":${i},"d":"${'x'.repeat(200)}"}`, true));
    collect();
    const overhead = (process.memoryUsage().heapUsed - before - buffer.bytes) / count;
    expect(overhead).toBeGreaterThan(FRAME_OVERHEAD / 2);
    expect(overhead).toBeLessThanOrEqual(FRAME_OVERHEAD);
  });
});

describe("a session's inbox bound", () => {
  it('refuses frames past memory.inboxBytes (refusals wait in order), and closes the connection (4004) when even its refusals fill a second bound', () => {
    const memory = new MemoryBudget({ inboxBytes: 2_100, addressBytes: Infinity, processBytes: Infinity });
    const taken: number[] = [];
    // The first frame's handler never returns: everything after it waits in the inbox.
    const host: SessionHost = {
      handle: (_session, item) => {
        taken.push(item.s);
        return new Promise<void>(() => {});
      },
      overflow: () => {},
      end: () => {},
    };
    const session = new ServerSession(
      'sid',
      'secret',
      null,
      { maxFrames: 100, maxBytes: 1 << 20 },
      host,
      new Counters(),
      memory.open('sid', ''),
    );
    const closes: number[] = [];
    const connection: Connection = { transport: 'websocket', pendingBytes: 0, send: () => {}, close: (code) => closes.push(code) };
    session.attach(connection, new OutFrame('{"t":"welcome"}', false), 0);
    const receive = (s: number): void => session.receive({ s, frame: { t: 'msg', s, d: s } }, 500);
    for (let s = 1; s <= 3; s++) receive(s);
    expect(memory.inbox).toBe(3 * 700); // 500 bytes each plus the entry's overhead
    receive(4);
    expect(memory.inbox).toBe(3 * 700 + 200); // refused: only its refusal waits
    for (let s = 5; s <= 20 && closes.length === 0; s++) receive(s);
    expect(closes).toEqual([4004]);
    expect(memory.inbox).toBeLessThanOrEqual(2 * 2_100);
    expect(taken).toEqual([1]);
  });
});
