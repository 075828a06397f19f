// Who wrote what, as far as signatures tell: each peer id is pinned to the
// first signing key heard from it, for the life of the room, and each key's
// frame counter only goes up. A relay cannot re-attribute, replay or reorder
// frames, and a member with the room key cannot speak for anyone else.
import type { PeerId } from '../../../protocol/index.ts';
import { fromBase64url } from './base64url.ts';

/** Why a correctly sealed frame is still refused. */
export type Refusal = 'impostor' | 'replayed' | 'departed';

export class AuthorKeys {
  readonly #keyOf = new Map<PeerId, string>();
  readonly #lastCounter = new Map<string, number>();
  readonly #departed = new Set<PeerId>();

  /** Accepts a frame from `from` signed by `publicKey` with `counter`, or says why not. */
  admit(from: PeerId, publicKey: string, counter: number): Refusal | undefined {
    const pinned = this.#keyOf.get(from);
    if (pinned !== undefined && pinned !== publicKey) return 'impostor';
    if (counter <= (this.#lastCounter.get(publicKey) ?? 0)) return 'replayed';
    // Checked after the counter: a fresh frame from an id said to have left means the relay's `rm` was false.
    if (this.#departed.has(from)) return 'departed';
    this.#keyOf.set(from, publicKey);
    this.#lastCounter.set(publicKey, counter);
    return undefined;
  }

  /** Our own id speaks with our own key, whatever frame arrives first. */
  pin(peer: PeerId, publicKey: string): void {
    this.#keyOf.set(peer, publicKey);
  }

  /** Whether two peer ids are the same tab: one signing key (e.g. its id before and after a reconnect). */
  samePerson(a: PeerId, b: PeerId): boolean {
    const key = this.#keyOf.get(a);
    return key !== undefined && key === this.#keyOf.get(b);
  }

  /** The id left: nothing more is accepted from it. Its key stays known, so it is recognised under a new id. */
  departed(peer: PeerId): void {
    if (this.#keyOf.has(peer)) this.#departed.add(peer);
  }

  /** A short fingerprint of the key pinned to `peer`, for people to compare; undefined before it is heard. */
  fingerprintOf(peer: PeerId): string | undefined {
    const key = this.#keyOf.get(peer);
    return key === undefined ? undefined : fingerprint(key);
  }
}

/**
 * Four groups of four hex digits from the key's x coordinate (after the 0x04
 * prefix of an uncompressed point): 64 bits, as costly to imitate as a hash
 * prefix of the same length.
 */
export function fingerprint(publicKey: string): string {
  const bytes = fromBase64url(publicKey)?.subarray(1, 9) ?? new Uint8Array(0);
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{1,4}/g)?.join(' ') ?? '';
}
