// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerSession } from '../../../src/server/session.js';
import { SlowConsumerGuard } from '../../../src/server/slow-consumer.js';

type FakeSession = ServerSession & { connection: { pendingBytes: number } | null; out: { bytes: number; acked: number } };

/** Just what the guard reads of a session: its connection's unflushed bytes, its unacknowledged frames, whether it ended. */
function fakeSession(pendingBytes = 0, unackedBytes = 0): FakeSession {
  return { ended: false, connection: { pendingBytes }, out: { bytes: unackedBytes, acked: 0 } } as unknown as FakeSession;
}

describe('SlowConsumerGuard', () => {
  let evicted: ServerSession[];
  let guard: SlowConsumerGuard;

  beforeEach(() => {
    vi.useFakeTimers();
    evicted = [];
    guard = new SlowConsumerGuard(
      { maxPendingBytes: 1_000, maxStallTime: 400, maxReceiptStall: 800 },
      (session) => evicted.push(session),
      () => Date.now(),
    );
  });

  afterEach(() => {
    guard.close();
    vi.useRealTimers();
  });

  it('evicts a session whose backlog stays over the bound for longer than the stall time', () => {
    const session = fakeSession(5_000);
    guard.wrote(session);
    expect(guard.watched).toBe(1);
    vi.advanceTimersByTime(300);
    expect(evicted).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(evicted).toEqual([session]);
    expect(guard.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // nothing watched: no timer left running
  });

  it('ignores writes that leave the backlog under the bound, and forgets a backlog that drained in time', () => {
    const quick = fakeSession(500);
    guard.wrote(quick);
    expect(guard.watched).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    const draining = fakeSession(5_000);
    guard.wrote(draining);
    vi.advanceTimersByTime(200);
    draining.connection!.pendingBytes = 200;
    vi.advanceTimersByTime(1_000);
    expect(evicted).toEqual([]);
    expect(guard.watched).toBe(0);
  });

  it('starts the clock again when a session goes over the bound a second time', () => {
    const session = fakeSession(5_000);
    guard.wrote(session);
    vi.advanceTimersByTime(300);
    session.connection!.pendingBytes = 0; // drained just in time
    vi.advanceTimersByTime(100);
    session.connection!.pendingBytes = 5_000;
    guard.wrote(session);
    vi.advanceTimersByTime(300);
    expect(evicted).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(evicted).toEqual([session]);
  });

  it('leaves a session alone once it ended or its client came back on a fresh connection', () => {
    const ended = fakeSession(5_000);
    const moved = fakeSession(5_000);
    guard.wrote(ended);
    guard.wrote(moved);
    (ended as { ended: boolean }).ended = true;
    moved.connection!.pendingBytes = 0;
    vi.advanceTimersByTime(1_000);
    expect(evicted).toEqual([]);
  });

  it('evicts a connected session holding unacknowledged frames over the bound whose receipts do not advance', () => {
    const session = fakeSession(0, 5_000);
    guard.wrote(session);
    vi.advanceTimersByTime(700);
    expect(evicted).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(evicted).toEqual([session]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restarts the receipt clock whenever a receipt advances, and forgets a session that went away or caught up', () => {
    const reading = fakeSession(0, 5_000);
    const away = fakeSession(0, 5_000);
    const caughtUp = fakeSession(0, 5_000);
    for (const session of [reading, away, caughtUp]) guard.wrote(session);
    vi.advanceTimersByTime(600);
    reading.out.acked = 10; // a receipt arrived, the backlog is still over the bound
    away.connection = null; // the session TTL bounds a session without a connection
    caughtUp.out.bytes = 100;
    vi.advanceTimersByTime(600);
    expect(evicted).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(evicted).toEqual([reading]);
  });
});
