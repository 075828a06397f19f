// The conversation: our messages out, everyone's messages in, the history a
// newcomer gets from each author, what a returning peer missed, and expiry.
import { assertNever, type PeerId } from '../../../../protocol/index.ts';
import { v4 as uuidv4 } from 'uuid';
import type { Envelope } from '../envelope.ts';
import type { Received, RoomContext } from '../feature.ts';
import { withoutDeceptive } from '../envelope-fields.ts';
import type { FileAnnouncement } from '../files/envelopes.ts';
import type { Ttl } from '../ttl.ts';
import { maxTextLength, type ChatEnvelope } from './envelopes.ts';
import type { DeliveredMessage } from './envelopes.ts';
import {
  batchEnvelopes,
  historyLimits,
  HistoryStore,
  toDelivered,
  toWire,
  type ChatMessage,
  type HistoryLimits,
} from './history.ts';

export interface SendOptions {
  action?: boolean;
  ttl?: Ttl;
  /** The id of the message this one answers. */
  reply?: string;
  /** An image or file the message carries; its text may then be empty. */
  file?: FileAnnouncement;
}

/** A timestamp far in the future, for sizing the batch a message may travel in. */
const widestTs = 9_999_999_999_999;
const releaseNoticeEveryMs = 15_000;

export class Chat {
  readonly history = new HistoryStore();
  readonly #room: RoomContext;
  readonly #limits: HistoryLimits;
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Relay time of the first chat frame from each peer: the times before it are history we could not witness. */
  readonly #met = new Map<PeerId, number>();
  /** Messages refused: a time the frame cannot vouch for, or a room message sent to us alone. */
  refused = 0;
  #releaseNoticeAt = -Infinity;

  constructor(room: RoomContext, limits: HistoryLimits = historyLimits) {
    this.#room = room;
    this.#limits = limits;
  }

  /** Sends a message; returns an error text for the author if it cannot be sent. */
  async send(typed: string, options: SendOptions = {}): Promise<string | undefined> {
    // What everyone else will see: the receivers remove these too.
    const text = withoutDeceptive(typed);
    if (text.length === 0 && !options.file) return 'That message has nothing visible in it.';
    if (text.length > maxTextLength) return `That message is too long (at most ${maxTextLength} characters).`;
    const message: ChatMessage = {
      kind: 'message',
      id: uuidv4(),
      author: this.#room.selfId() ?? '',
      text,
      action: options.action ?? false,
      ttl: options.ttl ?? 0,
      ts: NaN,
      ...(options.file && { file: options.file }),
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

  receive(envelope: ChatEnvelope, { from, ts, self, unicast }: Received): void {
    if (!this.#met.has(from)) this.#met.set(from, ts);
    switch (envelope.kind) {
      case 'message': {
        // A live message is for the whole room: one sent to us alone could show what nobody else sees.
        if (unicast && !self) return void this.refused++;
        if (self && this.history.confirm(envelope.message.id, ts)) return;
        const added = this.#add(from, [{ ...envelope.message, ts }]);
        const stored = this.history.get(envelope.message.id);
        if (!self && added && stored?.kind === 'message') this.#room.live({ type: 'message', message: stored });
        return;
      }
      case 'batch':
        if (!self) this.#addHistory(from, envelope.messages, ts);
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
    this.#met.delete(peer);
    return this.history.removeAuthor(peer);
  }

  /**
   * History from `from` in a frame the relay stamped `frameTs`. A time can be
   * trusted only so far: none later than the frame itself; one from before we
   * met the author is history we could not witness; one since then is a
   * message we missed while away, so it must be newer than what we hold from
   * them (marked late). Anything else would reorder what we saw, and is refused.
   */
  #addHistory(from: PeerId, messages: readonly DeliveredMessage[], frameTs: number): void {
    const met = this.#met.get(from) ?? frameTs;
    const newest = this.history.newestOf(from) ?? -Infinity;
    const early: DeliveredMessage[] = [];
    const late: DeliveredMessage[] = [];
    for (const message of messages) {
      if (message.ts > frameTs) this.refused++;
      else if (message.ts < met) early.push(message);
      else if (message.ts > newest) late.push(message);
      else if (!this.history.get(message.id)) this.refused++;
    }
    this.#add(from, early);
    this.#add(from, late, true);
  }

  /** Adds delivered messages of `from`, then releases the oldest beyond the tab's limits; true if any was new. */
  #add(from: PeerId, messages: readonly DeliveredMessage[], late = false): boolean {
    if (messages.length === 0) return false;
    const samePerson = (a: PeerId, b: PeerId): boolean => this.#room.samePerson(a, b);
    const changed = this.history.addDelivered(from, messages, this.#room.relayNow(), { samePerson, late });
    const released = this.history.releaseBeyond(this.#limits);
    // One note per quarter minute at most, so that a flood cannot fill the history with notes instead.
    if (released > 0 && this.#room.now() - this.#releaseNoticeAt > releaseNoticeEveryMs) {
      this.#releaseNoticeAt = this.#room.now();
      this.#room.notice({
        type: 'info',
        text: 'Older messages were released to keep this tab within its memory limits.',
      });
    }
    return changed > 0;
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
