// Whether the relay's memory keeps growing once the load is steady, judged
// from frequent RSS samples. Pure, so the rule itself is unit-tested.

export interface MemorySample {
  atMs: number;
  rssKiB: number;
}

export interface GrowthRule {
  /** The start of the run, while rooms fill and the heap finds its size, is not judged. */
  warmupFraction: number;
  /** Growth beyond this over the steady phase is a leak, not the heap filling up between collections. */
  maxKiBPerMinute: number;
  /** How far the last third must sit above the middle one, beyond what steps of the allocator explain. */
  noiseKiB: number;
}

export interface GrowthVerdict {
  growing: boolean;
  /** Least-squares slope of RSS over the steady phase. */
  kiBPerMinute: number;
  /** Median RSS of the middle and the last third of the steady phase. */
  middleKiB: number;
  lastKiB: number;
}

/**
 * Under the soak's load a healthy relay's RSS climbs up to about 1 MiB a
 * minute for many minutes: its JavaScript heap fills with garbage promoted
 * from the young generation, and a full collection comes only every ten
 * minutes or so. A leak must grow faster than twice that to be told apart in
 * one run, which per-connection state of 1.5 KiB or more does at the soak's
 * 1,400 connections a minute.
 */
export const defaultGrowthRule: GrowthRule = { warmupFraction: 0.3, maxKiBPerMinute: 2048, noiseKiB: 4096 };

/**
 * Memory keeps growing when, over the steady phase, RSS rises faster than
 * `maxKiBPerMinute` and its last third still sits more than `noiseKiB` above
 * its middle third: a leak climbs all the way, while a heap that grew once
 * and stayed, or saw-tooths between collections, fails one of the two.
 * Medians, not maxima, so a single spike decides nothing.
 */
export function judgeGrowth(samples: MemorySample[], rule: GrowthRule = defaultGrowthRule): GrowthVerdict {
  const first = samples[0]?.atMs ?? 0;
  const last = samples.at(-1)?.atMs ?? 0;
  const steadyFrom = first + (last - first) * rule.warmupFraction;
  const steady = samples.filter((sample) => sample.atMs >= steadyFrom);
  const third = (last - steadyFrom) / 3;
  const middleKiB = median(steady.filter((s) => s.atMs >= steadyFrom + third && s.atMs < last - third));
  const lastKiB = median(steady.filter((s) => s.atMs >= last - third));
  const kiBPerMinute = slopePerMs(steady) * 60_000;
  const growing = kiBPerMinute > rule.maxKiBPerMinute && lastKiB - middleKiB > rule.noiseKiB;
  return { growing, kiBPerMinute, middleKiB, lastKiB };
}

function median(samples: MemorySample[]): number {
  const sorted = samples.map((sample) => sample.rssKiB).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function slopePerMs(samples: MemorySample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanT = samples.reduce((sum, s) => sum + s.atMs, 0) / n;
  const meanR = samples.reduce((sum, s) => sum + s.rssKiB, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const { atMs, rssKiB } of samples) {
    covariance += (atMs - meanT) * (rssKiB - meanR);
    variance += (atMs - meanT) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}
