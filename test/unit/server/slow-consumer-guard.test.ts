// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerSession } from '../../../src/server/session.js';
import { SlowConsumerGuard } from '../../../src/server/slow-consumer.js';

/** Just what the guard reads of a session: its connection's unflushed bytes, and whether it ended. */
function fakeSession(pendingBytes = 0): ServerSession & { connection: { pendingBytes: number } } {
  return { ended: false, connection: { pendingBytes } } as unknown as ServerSession & { connection: { pendingBytes: number } };
}

describe('SlowConsumerGuard', () => {
  let evicted: ServerSession[];
  let guard: SlowConsumerGuard;

  beforeEach(() => {
    vi.useFakeTimers();
    evicted = [];
    guard = new SlowConsumerGuard(1_000, 400, (session) => evicted.push(session), () => Date.now());
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
    draining.connection.pendingBytes = 200;
    vi.advanceTimersByTime(1_000);
    expect(evicted).toEqual([]);
    expect(guard.watched).toBe(0);
  });

  it('starts the clock again when a session goes over the bound a second time', () => {
    const session = fakeSession(5_000);
    guard.wrote(session);
    vi.advanceTimersByTime(300);
    session.connection.pendingBytes = 0; // drained just in time
    vi.advanceTimersByTime(100);
    session.connection.pendingBytes = 5_000;
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
    moved.connection.pendingBytes = 0;
    vi.advanceTimersByTime(1_000);
    expect(evicted).toEqual([]);
  });
});
