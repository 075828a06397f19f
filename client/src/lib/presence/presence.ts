// Names and typing: every envelope that carries a name names its author, a
// `nick` also says so in the history, and a typing signal shows for a few
// seconds or until that person's message arrives.
import type { PeerId } from '../../../../protocol/index.ts';
import type { Envelope } from '../envelope.ts';
import type { Received, RoomContext } from '../feature.ts';
import { unknownName } from '../names.ts';
import type { PresenceEnvelope } from './envelopes.ts';

/** How long a typing signal shows, and how often one is sent while typing. */
const typingShowsMs = 6000;
const typingEveryMs = 3000;

export class Presence {
  readonly names = new Map<PeerId, string>();
  /** Who is typing, until when (local clock). */
  readonly typing = new Map<PeerId, number>();
  readonly #room: RoomContext;
  #typingTimer: ReturnType<typeof setTimeout> | undefined;
  #lastTypingSent = -Infinity;

  constructor(room: RoomContext) {
    this.#room = room;
  }

  nameOf(peer: PeerId): string {
    return this.names.get(peer) ?? unknownName;
  }

  /** Learns what any envelope says about its author, before the feature that owns it handles it. */
  heardFrom(envelope: Envelope, { from, self }: Received): void {
    if (envelope.kind === 'message') this.typing.delete(from);
    if (!('name' in envelope)) return;
    const before = this.names.get(from);
    if (envelope.kind === 'nick' && !self && before !== undefined && before !== envelope.name) {
      this.#room.notice({ type: 'renamed', peer: from, from: before, to: envelope.name });
    }
    this.names.set(from, envelope.name);
  }

  receive(envelope: PresenceEnvelope, { from, self }: Received): void {
    if (envelope.kind === 'typing' && !self) this.#showTyping(from);
  }

  /** Our own name, now and after a change. */
  async rename(self: PeerId | undefined, before: string, name: string): Promise<void> {
    if (self) this.names.set(self, name);
    this.#room.notice({ type: 'renamed', peer: self ?? '', from: before, to: name });
    this.#room.changed();
    await this.#room.send({ v: 1, kind: 'nick', name });
  }

  /** Tells the room we are typing, at most every few seconds. */
  async typed(): Promise<void> {
    const now = this.#room.now();
    if (now - this.#lastTypingSent < typingEveryMs || !this.#room.connected()) return;
    this.#lastTypingSent = now;
    await this.#room.send({ v: 1, kind: 'typing' });
  }

  /** Readers stop showing us as typing when our message arrives; the next keystroke says so again. */
  sentMessage(): void {
    this.#lastTypingSent = -Infinity;
  }

  forget(peer: PeerId): void {
    this.typing.delete(peer);
  }

  stop(): void {
    clearTimeout(this.#typingTimer);
  }

  #showTyping(peer: PeerId): void {
    this.typing.set(peer, this.#room.now() + typingShowsMs);
    clearTimeout(this.#typingTimer);
    this.#typingTimer = setTimeout(() => {
      const now = this.#room.now();
      for (const [who, until] of this.typing) if (until <= now) this.typing.delete(who);
      this.#room.changed();
    }, typingShowsMs);
  }
}
