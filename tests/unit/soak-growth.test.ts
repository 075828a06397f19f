import { describe, expect, it } from 'vitest';
import { defaultGrowthRule, judgeGrowth, type MemorySample } from '../soak/growth.ts';

const baseKiB = 60 * 1024;

/** Deterministic noise in [-1, 1), so a failing case fails every time. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  };
}

/** RSS every second for `minutes`, shaped by `rssAt(minute)`, plus allocator noise and a garbage-collection saw-tooth. */
function series(minutes: number, rssAt: (minute: number) => number, seed = 1): MemorySample[] {
  const jitter = noise(seed);
  return Array.from({ length: minutes * 60 + 1 }, (_, second) => {
    const sawtoothKiB = ((second % 23) / 23) * 3 * 1024;
    return { atMs: second * 1000, rssKiB: rssAt(second / 60) + sawtoothKiB + jitter() * 1024 };
  });
}

describe('judgeGrowth', () => {
  it('passes memory that is flat but noisy', () => {
    for (const seed of [1, 2, 3]) {
      expect(judgeGrowth(series(10, () => baseKiB, seed)).growing).toBe(false);
      expect(judgeGrowth(series(1, () => baseKiB, seed)).growing).toBe(false);
    }
  });

  it('passes memory that grew while the load built up, then stayed', () => {
    const warmingUp = (minute: number): number => baseKiB + Math.min(minute, 2) * 8 * 1024;
    expect(judgeGrowth(series(10, warmingUp)).growing).toBe(false);
  });

  it('passes one step early in the steady phase, as when the heap takes a new page once', () => {
    const step = (minute: number): number => baseKiB + (minute > 3.5 ? 6 * 1024 : 0);
    expect(judgeGrowth(series(10, step)).growing).toBe(false);
  });

  it('fails memory that keeps growing', () => {
    const leak = (kiBPerMinute: number) => (minute: number) => baseKiB + minute * kiBPerMinute;
    const verdict = judgeGrowth(series(10, leak(3 * 1024)));
    expect(verdict.growing).toBe(true);
    expect(verdict.kiBPerMinute).toBeCloseTo(3 * 1024, -2);
    expect(judgeGrowth(series(10, leak(1.5 * defaultGrowthRule.maxKiBPerMinute))).growing).toBe(true);
  });

  it('passes the slow climb of a heap between full collections', () => {
    expect(judgeGrowth(series(10, (minute) => baseKiB + minute * 1024)).growing).toBe(false);
  });

  it('fails a fast leak within one minute', () => {
    expect(judgeGrowth(series(1, (minute) => baseKiB + minute * 24 * 1024)).growing).toBe(true);
  });
});
