import { describe, expect, it } from 'vitest';
import { backoffDelay, connectionDefaults, Pacer } from '../../client/src/lib/connection.ts';

const backoff = { baseMs: 500, maxMs: 15_000 };

describe('reconnection backoff', () => {
  it('doubles from the base, with jitter between half and all of each step', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 0, backoff))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 0.999_999, backoff))).toEqual([500, 1000, 2000, 4000]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    for (const attempt of [5, 6, 50, 10_000]) {
      expect(backoffDelay(attempt, 0.999_999, backoff)).toBeLessThanOrEqual(15_000);
      expect(backoffDelay(attempt, 0, backoff)).toBe(7500);
    }
  });

  it('spreads clients dropped at once', () => {
    const delays = new Set(Array.from({ length: 100 }, (_, i) => backoffDelay(3, i / 100, backoff)));
    expect(delays.size).toBeGreaterThan(90);
  });

  it('has its defaults in one place', () => {
    expect(connectionDefaults.backoff).toEqual(backoff);
  });
});

describe('outgoing pacing', () => {
  it('lets a burst through, then spaces frames just under the relay rate', () => {
    const pacer = new Pacer({ rate: 30, burst: 60 });
    const immediate = Array.from({ length: 60 }, () => pacer.take(0)).filter((wait) => wait === 0).length;
    expect(immediate).toBe(54);
    const wait = pacer.take(0);
    expect(wait).toBeGreaterThan(30);
    expect(wait).toBeLessThanOrEqual(38);
    expect(pacer.take(wait)).toBe(0);
  });

  it('never holds frames back when the relay has no rate limit', () => {
    const pacer = new Pacer({ rate: 0, burst: 1 });
    expect(Array.from({ length: 1000 }, () => pacer.take(0)).every((wait) => wait === 0)).toBe(true);
  });
});
