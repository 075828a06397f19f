// What the relay counts as it works: plain numbers, incremented on the hot
// path and read only when the metrics endpoint is scraped (metrics.ts). Every
// label is one of a fixed set chosen here, never a value a client sends, and
// nothing names a room, a peer or an address.
import { CloseCode, ERROR_CODES, type ErrorCode } from '../protocol/index.ts';

export type UpgradeRefusal = 'bad_room' | 'origin' | 'address_full' | 'server_full' | 'draining';
export type CountedCommand = 'send' | 'fetch';

/** Close codes counted by name; any other code a client sends is counted as 'other'. */
const countedCloseCodes = [...Object.values(CloseCode), 1005, 1006] as const;
export type CloseLabel = `${(typeof countedCloseCodes)[number]}` | 'other';

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Counts per bucket of `value <= bound`, as a Prometheus histogram wants them, plus sum and count. */
export class BucketCounts {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bucket = this.bounds.findIndex((bound) => value <= bound);
    if (bucket >= 0) this.counts[bucket]!++;
  }
}

/** Seconds from a publish on one relay to its delivery on another. */
export const deliveryDelayBounds = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class RelayCounters {
  upgradesAccepted = 0;
  readonly upgradesRefused = zeroes<UpgradeRefusal>(['bad_room', 'origin', 'address_full', 'server_full', 'draining']);
  readonly framesReceived = zeroes<CountedCommand>(['send', 'fetch']);
  readonly framesRefused = zeroes<ErrorCode>(ERROR_CODES);
  bytesReceived = 0;
  bytesSent = 0;
  readonly closes = zeroes<CloseLabel>([...countedCloseCodes.map((code) => `${code}` as const), 'other']);
  rateLimitCloses = 0;
  backpressureDrops = 0;
  resumesGranted = 0;
  resumesRefused = 0;
  graceExpired = 0;
  redisReconnects = 0;
  redisPublished = 0;
  redisReceived = 0;
  readonly deliveryDelay = new BucketCounts(deliveryDelayBounds);

  countClose(code: number): void {
    const label = `${code}`;
    if (label in this.closes) this.closes[label as CloseLabel]++;
    else this.closes.other++;
  }
}
