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

/** The client's address: from the proxy's headers only when the proxy is trusted. */
export function clientAddress(remote: string, flyClientIp: string, forwardedFor: string, trustProxy: boolean): string {
  if (!trustProxy) return remote;
  const forwarded = forwardedFor.split(',')[0]?.trim();
  return flyClientIp.trim() || forwarded || remote;
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
