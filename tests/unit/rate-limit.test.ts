import { describe, expect, it } from 'vitest';
import { takeToken, type TokenBucket } from '../../relay/rate-limit.ts';

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
});
