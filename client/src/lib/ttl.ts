// Message lifetimes a sender may choose; 0 means the message lives as long as
// its author stays.

export const ttlChoices = [
  { ms: 0, label: 'off', short: 'off' },
  { ms: 60_000, label: '1 minute', short: '1m' },
  { ms: 600_000, label: '10 minutes', short: '10m' },
  { ms: 3_600_000, label: '1 hour', short: '1h' },
  { ms: 86_400_000, label: '24 hours', short: '24h' },
] as const;

export type Ttl = (typeof ttlChoices)[number]['ms'];

export function isTtl(value: unknown): value is Ttl {
  return ttlChoices.some((choice) => choice.ms === value);
}

export function ttlLabel(ttl: Ttl): string {
  return ttlChoices.find((choice) => choice.ms === ttl)?.label ?? 'off';
}

const spellings: Record<string, Ttl> = {
  off: 0,
  none: 0,
  '0': 0,
  '1m': 60_000,
  '1min': 60_000,
  '1minute': 60_000,
  '10m': 600_000,
  '10min': 600_000,
  '10minutes': 600_000,
  '1h': 3_600_000,
  '1hour': 3_600_000,
  '60m': 3_600_000,
  '24h': 86_400_000,
  '1d': 86_400_000,
  '1day': 86_400_000,
};

/** A typed lifetime such as "10m", "1 hour" or "off"; undefined if it is not one of the choices. */
export function parseTtl(text: string): Ttl | undefined {
  return spellings[text.toLowerCase().replace(/\s+/g, '')];
}
