// The conversation: our messages out, everyone's messages in, the history a
// newcomer gets from each author, what a returning peer missed, and expiry.
import { assertNever, type PeerId } from '../../../../protocol/index.ts';
import { v4 as uuidv4 } from 'uuid';
import type { Envelope } from '../envelope.ts';
import type { Received, RoomContext } from '../feature.ts';
import type { Ttl } from '../ttl.ts';
import { maxTextLength, type ChatEnvelope } from './envelopes.ts';
import { batchEnvelopes, HistoryStore, toDelivered, toWire, type ChatMessage } from './history.ts';

export interface SendOptions {
  action?: boolean;
  ttl?: Ttl;
  /** The id of the message this one answers. */
  reply?: string;
}

/** A timestamp far in the future, for sizing the batch a message may travel in. */
const widestTs = 9_999_999_999_999;

export class Chat {
  readonly history = new HistoryStore();
  readonly #room: RoomContext;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(room: RoomContext) {
    this.#room = room;
  }

  /** Sends a message; returns an error text for the author if it cannot be sent. */
  async send(text: string, options: SendOptions = {}): Promise<string | undefined> {
    if (text.length > maxTextLength) return `That message is too long (at most ${maxTextLength} characters).`;
    const message: ChatMessage = {
      kind: 'message',
      id: uuidv4(),
      author: this.#room.selfId() ?? '',
      text,
      action: options.action ?? false,
      ttl: options.ttl ?? 0,
      ts: NaN,
      ...(options.reply && { reply: options.reply }),
    };
    const alone = batchEnvelopes(
      this.#room.name(),
      [toDelivered({ ...message, ts: widestTs })],
      this.#room.maxPayload(),
    );
    if (alone[0]!.kind !== 'batch' || alone[0]!.messages.length === 0) return 'That message is too long to send.';
    this.history.addPending(message);
    this.#room.changed();
    if (this.#room.connected()) await this.#sendLive(message);
    return undefined;
  }

  receive(envelope: ChatEnvelope, { from, ts, self }: Received): void {
    switch (envelope.kind) {
      case 'message': {
        if (self && this.history.confirm(envelope.message.id, ts)) return;
        this.history.addDelivered(from, [{ ...envelope.message, ts }], this.#room.relayNow());
        const stored = this.history.get(envelope.message.id);
        if (!self && stored?.kind === 'message') this.#room.live({ type: 'message', message: stored });
        return;
      }
      case 'batch':
        if (!self) this.history.addDelivered(from, envelope.messages, this.#room.relayNow());
        return;
      case 'summary': // travels only in fetch
        return;
      default:
        assertNever(envelope);
    }
  }

  /** Our own messages, delivered or pending, now belong to a new id (after a reconnect). */
  renamedSelf(previous: PeerId | undefined, self: PeerId): void {
    if (previous !== self) this.history.reassignAuthor(previous ?? '', self);
  }

  /** We have an id in the room (again): what was never echoed goes out again, and the room learns what we hold. */
  async joined(self: PeerId, resumed: boolean): Promise<void> {
    for (const message of this.history.pending()) await this.#sendLive({ ...message, author: self });
    // Back under the same id, the room still has our messages: ask only for what we missed.
    if (resumed) await this.#room.fetch({ v: 1, kind: 'summary', have: this.history.newestByAuthor() });
    else await this.answer(undefined, undefined);
  }

  /**
   * Our own unexpired messages, to a newcomer, a returning peer (only what its
   * summary says it lacks), or (after a reconnect) everyone.
   */
  async answer(to: PeerId | undefined, summary: Envelope | undefined): Promise<void> {
    const self = this.#room.selfId();
    if (!self) return;
    const after = summary?.kind === 'summary' ? (summary.have[self] ?? -Infinity) : -Infinity;
    const own = this.history.delivered(self, this.#room.relayNow(), after);
    for (const envelope of batchEnvelopes(this.#room.name(), own, this.#room.maxPayload())) {
      await this.#room.send(envelope, to);
    }
  }

  /** An author left: their messages vanish. Returns how many. */
  forget(peer: PeerId): number {
    return this.history.removeAuthor(peer);
  }

  /** Drops what has expired and wakes up for the next expiry. */
  expireDue(): void {
    const now = this.#room.relayNow();
    this.history.expire(now);
    clearTimeout(this.#expiryTimer);
    const next = this.history.nextExpiry();
    if (next === undefined) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(0, next - now));
    this.#expiryTimer = setTimeout(() => this.#room.changed(), delay);
  }

  stop(): void {
    clearTimeout(this.#expiryTimer);
  }

  async #sendLive(message: ChatMessage): Promise<void> {
    await this.#room.send({ v: 1, kind: 'message', name: this.#room.name(), message: toWire(message) });
  }
}
