// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { InboundRate } from '../../../src/server/limits.js';

const limits = { framesPerSecond: 10, frameBurst: 10, bytesPerSecond: 1_000, byteBurst: 2_000 };

describe('InboundRate', () => {
  it('flags a flood at twice the rate as flooding, although a frame passes every 100 ms', () => {
    const rate = new InboundRate(limits, 0);
    let passed = 0;
    let flaggedAt = -1;
    for (let t = 0; t < 5_000 && flaggedAt < 0; t += 50) {
      if (rate.take(t, 10)) passed++;
      if (rate.flooding) flaggedAt = t;
    }
    expect(passed).toBeGreaterThan(10); // the burst, then one per 100 ms
    expect(flaggedAt).toBeGreaterThan(0);
  });

  it('forgets refusals once the sender has been quiet long enough for both buckets to refill', () => {
    const rate = new InboundRate(limits, 0);
    for (let i = 0; i < 15; i++) rate.take(0, 10); // 10 pass, 5 refused
    expect(rate.take(2_000, 10)).toBe(true); // both buckets full again: the 5 refusals are forgotten
    for (let i = 0; i < 18; i++) rate.take(2_000, 10); // 9 pass, 9 refused: a burst's worth (10) only with the old 5
    expect(rate.flooding).toBe(false);
    for (let i = 0; i < 2; i++) rate.take(2_000, 10);
    expect(rate.flooding).toBe(true);
  });

  it('counts bytes: frames under the frame rate are refused once the byte burst is spent, and pass again as it refills', () => {
    const rate = new InboundRate(limits, 0);
    expect([rate.take(0, 900), rate.take(0, 900), rate.take(0, 900)]).toEqual([true, true, false]);
    expect(rate.take(700, 900)).toBe(true); // 200 left + 700 refilled
  });

  it('a clock that goes backwards refills nothing and takes nothing away', () => {
    const rate = new InboundRate(limits, 1_000);
    expect(rate.take(0, 10)).toBe(true);
  });
});
