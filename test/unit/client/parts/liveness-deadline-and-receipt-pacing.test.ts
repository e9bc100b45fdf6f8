import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../src/client/clock.js';
import { liveness } from '../../../../src/client/liveness.js';
import { namedTimers } from '../../../../src/client/timers.js';

const PACING = { every: 3, delay: 1000 };

/** Liveness on the fake clock: what it sent, whether it declared the connection dead, and a switch for "no open pipe". */
function setup(grace?: number) {
  const sent: Record<string, unknown>[] = [];
  const state = { open: true, dead: 0 };
  const timers = namedTimers<'deadline' | 'receipt'>(systemClock);
  const alive = liveness(
    systemClock,
    () => 0.5,
    timers,
    grace,
    (text) => {
      if (!state.open) return false;
      sent.push(JSON.parse(text) as Record<string, unknown>);
      return true;
    },
    () => void state.dead++,
  );
  return { alive, sent, state, timers };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('liveness: the heartbeat deadline', () => {
  it('a server silent past its interval and the grace (half the interval by default) counts as dead, once the watch fires', () => {
    const { alive, state } = setup();
    alive.welcomed_(0, 1000);
    alive.heard_('ping', PACING);
    alive.watch_();
    vi.advanceTimersByTime(1500);
    expect(state.dead).toBe(0);
    expect(alive.alive_()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(state.dead).toBe(1);
  });

  it('traffic moves the deadline: the watch re-arms instead of declaring a talking server dead', () => {
    const { alive, state } = setup(200);
    alive.welcomed_(0, 1000);
    alive.heard_('ping', PACING);
    alive.watch_();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      alive.heard_('ping', PACING);
    }
    expect(state.dead).toBe(0);
    vi.advanceTimersByTime(1201);
    expect(state.dead).toBe(1);
  });

  it('alive_ checks at once (a throttled tab whose timer never fired): past the deadline it reports dead', () => {
    const { alive, state, timers } = setup(0);
    alive.welcomed_(0, 1000);
    alive.heard_('ping', PACING);
    alive.watch_();
    timers.clearAll_(); // as if the browser never ran the timer
    vi.setSystemTime(Date.now() + 1001);
    expect(alive.alive_()).toBe(false);
    expect(state.dead).toBe(1);
  });
});

describe('liveness: receipts', () => {
  it('counts reliable frames only, and receipts after `every` of them at once', () => {
    const { alive, sent } = setup();
    alive.welcomed_(10, 25_000);
    alive.heard_('ping', PACING);
    alive.heard_('msg', PACING);
    alive.heard_('msg', PACING);
    expect(sent).toEqual([]);
    alive.heard_('msg', PACING);
    expect(sent).toEqual([{ t: 'ack', n: 13 }]);
    expect(alive.rx_).toBe(13);
  });

  it('receipts the rest after the jittered delay, once, and not again while nothing new came', () => {
    const { alive, sent } = setup();
    alive.welcomed_(0, 25_000);
    alive.heard_('msg', PACING);
    vi.advanceTimersByTime(999); // delay × (0.5 + 0.5)
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ t: 'ack', n: 1 }]);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
  });

  it('a receipt that finds no open pipe is owed: the next one covers it', () => {
    const { alive, sent, state } = setup();
    alive.welcomed_(0, 25_000);
    state.open = false;
    alive.heard_('msg', PACING);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([]);
    state.open = true;
    alive.heard_('msg', PACING);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([{ t: 'ack', n: 2 }]);
  });

  it('the pong to a server ping carries the count and counts as the receipt', () => {
    const { alive, sent } = setup();
    alive.welcomed_(0, 25_000);
    alive.heard_('msg', PACING);
    expect(JSON.parse(alive.pong_())).toEqual({ t: 'pong', n: 1 });
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
  });
});
