import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../../src/client/clock.js';
import { namedTimers } from '../../../../src/client/timers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('named timers', () => {
  it('setting a name again replaces its timer: only the newest fires', () => {
    const timers = namedTimers<'a'>(systemClock);
    const fired: string[] = [];
    timers.set_('a', 100, () => fired.push('first'));
    timers.set_('a', 200, () => fired.push('second'));
    vi.advanceTimersByTime(150);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(fired).toEqual(['second']);
    expect(timers.has_('a')).toBe(false);
  });

  it('clearAll_ clears every timer but the one it keeps', () => {
    const timers = namedTimers<'retry' | 'deadline' | 'receipt'>(systemClock);
    const fired: string[] = [];
    for (const name of ['retry', 'deadline', 'receipt'] as const) timers.set_(name, 10, () => fired.push(name));
    timers.clearAll_('retry');
    expect([timers.has_('retry'), timers.has_('deadline'), timers.has_('receipt')]).toEqual([true, false, false]);
    vi.advanceTimersByTime(10);
    expect(fired).toEqual(['retry']);
    timers.set_('deadline', 10, () => fired.push('deadline'));
    timers.clearAll_();
    vi.advanceTimersByTime(10);
    expect(fired).toEqual(['retry']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a timer is gone while its function runs, so the function may set it again', () => {
    const timers = namedTimers<'deadline'>(systemClock);
    let runs = 0;
    const arm = (): void => timers.set_('deadline', 10, () => (runs++ < 2 ? arm() : undefined));
    arm();
    vi.advanceTimersByTime(100);
    expect(runs).toBe(3);
    expect(timers.has_('deadline')).toBe(false);
  });
});
