import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/client/backoff.js';
import type { ReconnectInfo } from '../../../src/client/index.js';
import { advance, record, settle, useMockServer } from '../fakes/index.js';
import { seeded } from '../../support/seeded-random.js';

const JUST_BELOW_ONE = 1 - 2 ** -53;

describe('backoffDelay: full jitter applied after the cap', () => {
  const options = { min: 500, max: 30_000, factor: 2 };
  const ceiling = (attempt: number): number => Math.min(30_000, 500 * 2 ** attempt);

  it('stays in [0, min(max, min·factor^attempt)) for every attempt', () => {
    const random = seeded(1);
    for (let attempt = 0; attempt < 200; attempt++) {
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt, options, random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling(attempt));
      }
    }
  });

  it('spans the whole range: random 0 gives 0, random → 1 approaches the ceiling', () => {
    for (const attempt of [0, 1, 2, 3, 5, 6, 7, 50]) {
      expect(backoffDelay(attempt, options, () => 0)).toBe(0);
      expect(backoffDelay(attempt, options, () => JUST_BELOW_ONE)).toBeCloseTo(ceiling(attempt), 6);
    }
  });

  it('grows by the factor until the cap, then the ceiling is exactly max', () => {
    const ceilings = Array.from({ length: 10 }, (_, attempt) => backoffDelay(attempt, options, () => 0.5) * 2);
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(backoffDelay(10_000, options, () => 0.5)).toBe(15_000); // huge attempts don't overflow
  });

  it('keeps the jitter spread after the cap (clients never reconnect in lockstep)', () => {
    const random = seeded(7);
    for (const attempt of [6, 10, 30, 1000]) {
      const delays = Array.from({ length: 400 }, () => backoffDelay(attempt, options, random));
      // With uniform jitter over [0, 30 s), 400 draws cover every tenth of the range.
      const deciles = new Set(delays.map((delay) => Math.floor(delay / 3000)));
      expect(deciles.size, `attempt ${attempt}`).toBe(10);
      expect(new Set(delays).size).toBe(400);
    }
  });

  it('is random × ceiling exactly (the jitter source is the injected random)', () => {
    expect(backoffDelay(2, options, () => 0.25)).toBe(500);
    expect(backoffDelay(8, options, () => 0.1)).toBeCloseTo(3000, 9);
  });

  it('uses defaults min 500, max 30,000, factor 2', () => {
    expect(backoffDelay(0, {}, () => 0.5)).toBe(250);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, {}, () => 0.5)).toBe(15_000);
  });

  it('honours a custom factor', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, { min: 100, max: 10_000, factor: 3 }, () => 0.5) * 2)).toEqual([100, 300, 900, 2700]);
  });
});

describe('the client waits the backoff delays between reconnect attempts', () => {
  const mock = useMockServer();

  it('reports and waits random × ceiling for each consecutive failed attempt, reaching the cap', async () => {
    const draws = [0.9, 0.1, 0.5, 0.75, 0.3, 0.99, 0.2];
    let i = 0;
    const reconnect = { min: 100, max: 1000, factor: 2 };
    const client = mock.connect({ reconnect, random: () => draws[i++ % draws.length]! });
    const reported = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    await settle();

    const expected = draws.map((r, attempt) => r * Math.min(1000, 100 * 2 ** attempt));
    for (let attempt = 0; attempt < draws.length; attempt++) {
      mock.last.close(1006, 'refused');
      await settle();
      const delay = expected[attempt]!;
      expect(reported[attempt]).toEqual({ attempt: attempt + 1, delay, code: 1006, reason: 'refused' });
      const before = mock.connections.length;
      await advance(Math.max(0, Math.ceil(delay) - 1));
      expect(mock.connections.length, `attempt ${attempt + 1} came early`).toBe(before);
      await advance(1);
      expect(mock.connections.length, `attempt ${attempt + 1} did not come`).toBe(before + 1);
    }
    // The last two ceilings were the cap.
    expect(reported.slice(-2).map((r) => r.delay)).toEqual([0.99 * 1000, 0.2 * 1000]);
  });

  it('starts over from the smallest delay after a successful welcome', async () => {
    const reconnect = { min: 100, max: 1000, factor: 2 };
    const client = mock.connect({ reconnect, random: () => 0.5 });
    const reported = record<ReconnectInfo>((l) => client.on('reconnecting', l));
    await settle();
    for (let n = 0; n < 3; n++) {
      mock.last.close(1006);
      await advance(1000);
    }
    mock.last.welcome();
    await settle();
    mock.last.close(1006);
    await settle();
    expect(reported.map((r) => [r.attempt, r.delay])).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
      [1, 50],
    ]);
  });
});

describe('backoff over a very long outage', () => {
  it('stays a number (the cap) however many attempts, even with a zero minimum', () => {
    expect(backoffDelay(5_000, { min: 500, max: 30_000 }, () => 0.5)).toBe(15_000);
    expect(backoffDelay(5_000, { min: 0, max: 30_000 }, () => 0.5)).toBe(0);
  });
});
