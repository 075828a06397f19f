import { describe, expect, it } from 'vitest';
import { takeFrame, takeToken, type FrameBudget, type TokenBucket } from '../../relay/rate-limit.ts';

const fullBucket = (burst: number): TokenBucket => ({ tokens: burst, tokensAt: 0 });

describe('token bucket', () => {
  it('allows a burst, then refuses until time refills it', () => {
    const bucket = fullBucket(3);
    expect([1, 2, 3, 4].map(() => takeToken(bucket, 10, 3, 0))).toEqual([true, true, true, false]);
    expect(takeToken(bucket, 10, 3, 50)).toBe(false);
    expect(takeToken(bucket, 10, 3, 100)).toBe(true);
    expect(takeToken(bucket, 10, 3, 100)).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const bucket = fullBucket(2);
    const taken = [1, 2, 3].map(() => takeToken(bucket, 10, 2, 60_000));
    expect(taken).toEqual([true, true, false]);
  });

  it('allows everything at rate 0', () => {
    const bucket = fullBucket(1);
    expect(Array.from({ length: 1000 }, () => takeToken(bucket, 0, 1, 0)).every(Boolean)).toBe(true);
  });

  describe('byte budget beside the frame budget', () => {
    const budget: FrameBudget = { rate: 10, burst: 5, byteRate: 1000, byteBurst: 3000 };
    const buckets = (): [TokenBucket, TokenBucket] => [fullBucket(budget.burst), fullBucket(budget.byteBurst)];

    it('refuses a frame the bytes left do not cover, then lets it pass once they refill', () => {
      const [frames, bytes] = buckets();
      expect([1, 2].map(() => takeFrame(frames, bytes, budget, 1400, 0))).toEqual([undefined, undefined]);
      expect(takeFrame(frames, bytes, budget, 1400, 0)).toBe('bytes');
      // 200 bytes left; 1,200 more take 1.2 s at 1,000 a second.
      expect(takeFrame(frames, bytes, budget, 1400, 1199)).toBe('bytes');
      expect(takeFrame(frames, bytes, budget, 1400, 1200)).toBeUndefined();
    });

    it('takes nothing from either budget for a refused frame', () => {
      const [frames, bytes] = buckets();
      expect(takeFrame(frames, bytes, budget, 3001, 0)).toBe('bytes');
      expect(frames.tokens).toBe(5);
      expect(takeFrame(frames, bytes, budget, 3000, 0)).toBeUndefined();
      expect(frames.tokens).toBe(4);
      expect(bytes.tokens).toBe(0);
    });

    it('still refuses small frames past the frame rate', () => {
      const [frames, bytes] = buckets();
      const answers = Array.from({ length: 6 }, () => takeFrame(frames, bytes, budget, 10, 0));
      expect(answers).toEqual([undefined, undefined, undefined, undefined, undefined, 'frames']);
      expect(bytes.tokens).toBe(2950);
    });

    it('never holds more bytes than its burst, however long it was idle', () => {
      const [frames, bytes] = buckets();
      expect(takeFrame(frames, bytes, budget, 3000, 0)).toBeUndefined();
      expect(takeFrame(frames, bytes, budget, 3000, 60_000)).toBeUndefined();
      expect(takeFrame(frames, bytes, budget, 1, 60_000)).toBe('bytes');
    });

    it('bounds bytes over time to the rate plus one burst', () => {
      const [frames, bytes] = buckets();
      let passed = 0;
      for (let now = 0; now <= 10_000; now += 10) {
        if (takeFrame(frames, bytes, budget, 500, now) === undefined) passed += 500;
      }
      expect(passed).toBeLessThanOrEqual(budget.byteRate * 10 + budget.byteBurst);
      expect(passed).toBeGreaterThanOrEqual(budget.byteRate * 10);
    });

    it('lifts either budget at rate 0', () => {
      const [frames, bytes] = buckets();
      const noBytes = { ...budget, byteRate: 0 };
      expect(
        Array.from({ length: 5 }, () => takeFrame(frames, bytes, noBytes, 1e9, 0)).every((r) => r === undefined),
      ).toBe(true);
      const noFrames = { ...budget, rate: 0 };
      const [frames2, bytes2] = buckets();
      expect(
        Array.from({ length: 100 }, () => takeFrame(frames2, bytes2, noFrames, 30, 0)).every((r) => r === undefined),
      ).toBe(true);
      expect(takeFrame(frames2, bytes2, noFrames, 1, 0)).toBe('bytes');
    });
  });
});
