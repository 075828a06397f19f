import { describe, expect, it } from 'vitest';
import { newBucket, takeToken } from '../../relay/rate-limit.ts';

describe('token bucket', () => {
  it('allows a burst, then refuses until time refills it', () => {
    const bucket = newBucket(3, 0);
    expect([1, 2, 3, 4].map(() => takeToken(bucket, 10, 3, 0))).toEqual([true, true, true, false]);
    expect(takeToken(bucket, 10, 3, 50)).toBe(false);
    expect(takeToken(bucket, 10, 3, 100)).toBe(true);
    expect(takeToken(bucket, 10, 3, 100)).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const bucket = newBucket(2, 0);
    const taken = [1, 2, 3].map(() => takeToken(bucket, 10, 2, 60_000));
    expect(taken).toEqual([true, true, false]);
  });

  it('allows everything at rate 0', () => {
    const bucket = newBucket(1, 0);
    expect(Array.from({ length: 1000 }, () => takeToken(bucket, 0, 1, 0)).every(Boolean)).toBe(true);
  });
});
