// Who may open a socket: origin check, client address, connection counts.
// Pure: headers and addresses are passed in by the adapter.

/** Comma-separated origins, or empty for "the page's own origin only". */
export function parseAllowedOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/**
 * Browsers always send Origin on a WebSocket upgrade; other sites must not open
 * sockets in a visitor's name. Clients without an Origin header are not
 * browsers and cannot act for a visitor, so they are let in.
 */
export function isOriginAllowed(origin: string, host: string, allowed: string[]): boolean {
  if (origin === '') return true;
  if (allowed.length > 0) return allowed.includes('*') || allowed.includes(origin);
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Which proxy header names the client, if any: none (the socket's own
 * address), fly's `Fly-Client-IP` (set by fly's proxy, whatever the client
 * sent), or `X-Forwarded-For` behind `hops` proxies that each append the
 * address they saw. Anything a client can write itself is never read.
 */
export type TrustProxy = { kind: 'none' } | { kind: 'fly' } | { kind: 'xff'; hops: number };

const maxTrustedHops = 10;

/** Reads TRUST_PROXY: unset, `fly`, or `xff:<hops>`; throws on anything else, `true` included (it said too little). */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const raw = (value ?? '').trim().toLowerCase();
  if (['', '0', 'false', 'no', 'none'].includes(raw)) return { kind: 'none' };
  if (raw === 'fly') return { kind: 'fly' };
  const hops = /^xff:(\d+)$/.exec(raw)?.[1];
  if (hops !== undefined && Number(hops) >= 1 && Number(hops) <= maxTrustedHops) {
    return { kind: 'xff', hops: Number(hops) };
  }
  throw new Error(
    `TRUST_PROXY must be unset, "fly", or "xff:<hops>" with 1 to ${maxTrustedHops} trusted proxies, got ${JSON.stringify(value)}`,
  );
}

/**
 * The client's address. Behind `hops` proxies, the entry that many places from
 * the right of X-Forwarded-For is the one the outermost trusted proxy wrote:
 * entries to its left came from the client and prove nothing.
 */
export function clientAddress(remote: string, flyClientIp: string, forwardedFor: string, trust: TrustProxy): string {
  switch (trust.kind) {
    case 'none':
      return remote;
    case 'fly':
      return flyClientIp.trim() || remote;
    case 'xff': {
      const hops = forwardedFor.split(',').map((entry) => entry.trim());
      return hops.length >= trust.hops ? hops[hops.length - trust.hops] || remote : remote;
    }
  }
}

export type Admission = 'ok' | 'server_full' | 'address_full';

/** Counts open connections, in all and per client address. */
export class ConnectionCounter {
  #total = 0;
  readonly #perAddress = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerAddress: number,
  ) {}

  get total(): number {
    return this.#total;
  }

  admit(address: string): Admission {
    if (this.#total >= this.maxTotal) return 'server_full';
    const count = this.#perAddress.get(address) ?? 0;
    if (count >= this.maxPerAddress) return 'address_full';
    this.#perAddress.set(address, count + 1);
    this.#total++;
    return 'ok';
  }

  release(address: string): void {
    const count = this.#perAddress.get(address);
    if (count === undefined) return;
    if (count <= 1) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count - 1);
    this.#total--;
  }
}
