// Token buckets: `burst` tokens at once, refilled at `rate` per second. A
// frame costs one token of the frame budget and its length in tokens of the
// byte budget. Time is passed in so the logic is pure.

// The fields are meant to be part of a larger record (the relay's per-socket
// one), so they are named to live there.

/** A bucket starts full: `burst` tokens at the time the connection opened. */
export interface TokenBucket {
  tokens: number;
  tokensAt: number;
}

function refill(bucket: TokenBucket, rate: number, burst: number, now: number): void {
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.tokensAt) * rate) / 1000);
  bucket.tokensAt = now;
}

/** Takes one token if there is one; rate 0 means unlimited. */
export function takeToken(bucket: TokenBucket, rate: number, burst: number, now: number): boolean {
  if (rate === 0) return true;
  refill(bucket, rate, burst, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** What a connection may send: frames and bytes per second, and how many of each at once. A rate of 0 lifts that budget. */
export interface FrameBudget {
  rate: number;
  burst: number;
  byteRate: number;
  byteBurst: number;
}

/**
 * Takes a frame of `length` bytes from both budgets, or from neither: the
 * budget that refuses it, or undefined when it may pass. The byte budget
 * bounds what large frames cost the relay and every reader in the room,
 * which the frame budget alone lets grow with the payload limit.
 */
export function takeFrame(
  frames: TokenBucket,
  bytes: TokenBucket,
  budget: FrameBudget,
  length: number,
  now: number,
): 'frames' | 'bytes' | undefined {
  if (budget.rate > 0) {
    refill(frames, budget.rate, budget.burst, now);
    if (frames.tokens < 1) return 'frames';
  }
  if (budget.byteRate > 0) {
    refill(bytes, budget.byteRate, budget.byteBurst, now);
    if (bytes.tokens < length) return 'bytes';
    bytes.tokens -= length;
  }
  if (budget.rate > 0) frames.tokens -= 1;
  return undefined;
}

/**
 * `fetch`, on top of the frame rate: each one makes every peer re-send its
 * history, so a stranger who knows only the room id could make a room work
 * without end. A client needs one after a reconnect; a few at once, then one
 * every two seconds, is plenty. Off when the frame rate limit is off.
 */
export const fetchLimit = {
  rate: 0.5,
  burst: 4,
  refusal: 'at most one fetch every 2 seconds after the first 4; this one was dropped',
} as const;

/**
 * Sustained abuse: a connection that keeps sending past its rate. Counts the
 * frames refused within a window; past the allowance the relay closes it.
 */
export interface RefusalWindow {
  refusalsSince: number;
  refused: number;
}

export const refusalWindowMs = 10_000;

/** Records one refused frame; true when the connection should be closed. */
export function recordRefusal(window: RefusalWindow, allowance: number, now: number): boolean {
  if (now - window.refusalsSince >= refusalWindowMs) {
    window.refusalsSince = now;
    window.refused = 0;
  }
  window.refused++;
  return window.refused > allowance;
}
