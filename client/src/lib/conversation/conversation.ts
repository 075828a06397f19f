// Edits, unsends and reactions. An edit or unsend is honoured only when its
// relay-stamped sender wrote the message; a reaction belongs to whoever the
// relay stamped on it, so nobody acts in another person's name. What an author
// changed travels to newcomers with their messages (edited text in the batch,
// unsent messages not at all), and their reactions in one `reactions` envelope.
import { assertNever, type PeerId } from '../../../../protocol/index.ts';
import type { HistoryStore } from '../chat/history.ts';
import { isPending } from '../chat/history.ts';
import type { Envelope } from '../envelope.ts';
import type { Received, RoomContext } from '../feature.ts';
import { maxEditLength, type ConversationEnvelope, type ReactionItem } from './envelopes.ts';
import { Reactions } from './reactions.ts';

/** Own unsends remembered for a returning peer; older ones it has seen or will see as missing. */
const maxRememberedUnsends = 1000;

export class Conversation {
  readonly reactions = new Reactions();
  readonly #room: RoomContext;
  readonly #history: HistoryStore;
  /** Own unsends with their relay time, for a returning peer that missed them. */
  #unsent: { id: string; at: number }[] = [];

  constructor(room: RoomContext, history: HistoryStore) {
    this.#room = room;
    this.#history = history;
  }

  /** Whether `peer` wrote the delivered message `id`. */
  isAuthor(peer: PeerId | undefined, id: string): boolean {
    const message = this.#history.get(id);
    return peer !== undefined && message?.kind === 'message' && !isPending(message) && message.author === peer;
  }

  /** Changes the text of one of our messages; returns an error text if it cannot be done. */
  async edit(id: string, text: string): Promise<string | undefined> {
    if (!this.isAuthor(this.#room.selfId(), id)) return 'Only your own sent messages can be edited.';
    if (text.length > maxEditLength) return `That message is too long (at most ${maxEditLength} characters).`;
    await this.#room.send({ v: 1, kind: 'edit', id, text });
    return undefined;
  }

  async unsend(id: string): Promise<void> {
    if (this.isAuthor(this.#room.selfId(), id)) await this.#room.send({ v: 1, kind: 'unsend', id });
  }

  /** Adds our reaction, or takes it back when we already reacted so. */
  async toggleReaction(item: ReactionItem): Promise<void> {
    const self = this.#room.selfId();
    if (!self || this.#history.get(item.id)?.kind !== 'message') return;
    await this.#room.send({ v: 1, kind: 'react', ...item, on: !this.reactions.has(self, item) });
  }

  receive(envelope: ConversationEnvelope, { from, ts, self }: Received): void {
    switch (envelope.kind) {
      case 'edit':
        if (this.isAuthor(from, envelope.id)) this.#history.edit(envelope.id, envelope.text, ts);
        return;
      case 'unsend':
        if (!this.isAuthor(from, envelope.id)) return;
        this.#history.remove(envelope.id);
        this.reactions.dropMessage(envelope.id);
        if (self) this.#unsent = [...this.#unsent, { id: envelope.id, at: ts }].slice(-maxRememberedUnsends);
        return;
      case 'react':
        this.reactions.set(from, { id: envelope.id, emoji: envelope.emoji }, envelope.on);
        return;
      case 'reactions':
        this.reactions.replace(from, envelope.items);
        return;
      default:
        assertNever(envelope);
    }
  }

  /** Our reactions to a newcomer or everyone; a returning peer also learns what we unsent while it was away. */
  async answer(to: PeerId | undefined, summary: Envelope | undefined): Promise<void> {
    const self = this.#room.selfId();
    if (!self) return;
    if (summary?.kind === 'summary') {
      const after = summary.have[self] ?? -Infinity;
      for (const { id, at } of this.#unsent) if (at > after) await this.#room.send({ v: 1, kind: 'unsend', id }, to);
    }
    const items = this.reactions.of(self);
    if (items.length > 0 || summary) await this.#room.send({ v: 1, kind: 'reactions', items }, to);
  }

  /** Our reactions now belong to a new id (after a reconnect). */
  renamedSelf(previous: PeerId | undefined, self: PeerId): void {
    if (previous !== undefined && previous !== self) this.reactions.reassign(previous, self);
  }

  /** Someone left: their reactions vanish (their messages vanish with the chat). */
  forget(peer: PeerId): void {
    this.reactions.forget(peer);
  }
}
