// Who reacted with what to which message. A reaction belongs to the peer the
// relay stamped on it: only that peer's envelopes add or remove it, and it
// vanishes when they leave.
import type { PeerId } from '../../../../protocol/index.ts';
import { maxReactionsPerPerson, reactionChoices, type ReactionEmoji, type ReactionItem } from './envelopes.ts';

/** One emoji's reactions to one message, for the view. */
export interface ReactionCount {
  emoji: ReactionEmoji;
  /** Who reacted, in the order they did. */
  peers: readonly PeerId[];
}

/** A reaction's key in a person's set. */
const keyOf = (id: string, emoji: ReactionEmoji): string => `${id} ${emoji}`;

export class Reactions {
  /** Per person, their reactions by key. */
  readonly #byPeer = new Map<PeerId, Map<string, ReactionItem>>();
  #snapshot: ReadonlyMap<string, readonly ReactionCount[]> | undefined;

  /** Adds or removes one of `peer`'s reactions; returns whether anything changed. */
  set(peer: PeerId, item: ReactionItem, on: boolean): boolean {
    const own = this.#byPeer.get(peer) ?? new Map<string, ReactionItem>();
    const key = keyOf(item.id, item.emoji);
    if (on === own.has(key) || (on && own.size >= maxReactionsPerPerson)) return false;
    if (on) own.set(key, item);
    else own.delete(key);
    this.#byPeer.set(peer, own);
    return this.#changed();
  }

  /** Replaces everything `peer` reacted with. */
  replace(peer: PeerId, items: readonly ReactionItem[]): void {
    this.#byPeer.set(peer, new Map(items.map((item) => [keyOf(item.id, item.emoji), item])));
    this.#changed();
  }

  has(peer: PeerId, item: ReactionItem): boolean {
    return this.#byPeer.get(peer)?.has(keyOf(item.id, item.emoji)) ?? false;
  }

  /** Everything `peer` reacted with. */
  of(peer: PeerId): ReactionItem[] {
    return [...(this.#byPeer.get(peer)?.values() ?? [])];
  }

  /** `peer` left: their reactions vanish. */
  forget(peer: PeerId): void {
    if (this.#byPeer.delete(peer)) this.#changed();
  }

  /** A message vanished: nobody's reactions to it matter any more. */
  dropMessage(id: string): void {
    for (const own of this.#byPeer.values()) {
      for (const [key, item] of own) if (item.id === id) own.delete(key);
    }
    this.#changed();
  }

  /** Our reactions now belong to our new id (after a reconnect). */
  reassign(from: PeerId, to: PeerId): void {
    const own = this.#byPeer.get(from);
    if (!own) return;
    this.#byPeer.delete(from);
    this.#byPeer.set(to, own);
    this.#changed();
  }

  /** Per message, its counts in picker order. The same map until something changes. */
  counts(): ReadonlyMap<string, readonly ReactionCount[]> {
    if (this.#snapshot) return this.#snapshot;
    const byMessage = new Map<string, Map<ReactionEmoji, PeerId[]>>();
    for (const [peer, own] of this.#byPeer) {
      for (const { id, emoji } of own.values()) {
        const emojis = byMessage.get(id) ?? new Map<ReactionEmoji, PeerId[]>();
        byMessage.set(id, emojis.set(emoji, [...(emojis.get(emoji) ?? []), peer]));
      }
    }
    const counts = new Map<string, ReactionCount[]>();
    for (const [id, emojis] of byMessage) {
      counts.set(
        id,
        reactionChoices.flatMap((emoji) => (emojis.has(emoji) ? [{ emoji, peers: emojis.get(emoji)! }] : [])),
      );
    }
    this.#snapshot = counts;
    return counts;
  }

  #changed(): true {
    this.#snapshot = undefined;
    return true;
  }
}
