// The room's history, in memory only: messages of everyone present plus local
// notices, deduplicated by id and ordered by the relay time of each message's
// first delivery, so every screen shows the same order whoever delivered it.
import type { PeerId } from '../../../../protocol/index.ts';
import { utf8Length } from '../../../../protocol/index.ts';
import { payloadLength } from '../envelope-fields.ts';
import type { Ttl } from '../ttl.ts';
import type { FileAnnouncement } from '../files/envelopes.ts';
import type { ChatEnvelope, DeliveredMessage, WireMessage } from './envelopes.ts';

export interface ChatMessage {
  kind: 'message';
  id: string;
  author: PeerId;
  text: string;
  action: boolean;
  ttl: Ttl;
  /** Relay time of the first delivery; NaN while the author waits for its echo. */
  ts: number;
  /** An image or file it carries. */
  file?: FileAnnouncement;
  /** The message this one answers. */
  reply?: string;
  /** Relay time of the author's latest edit. */
  edited?: number;
  /** It reached us in history after we had met its author (we were away): its time is as its author says. */
  late?: boolean;
}

/** How much history a tab holds, per author and in all; beyond it the oldest messages are released. */
export interface HistoryLimits {
  messagesPerAuthor: number;
  /** UTF-16 code units of text. */
  textPerAuthor: number;
  messages: number;
  text: number;
}

export const historyLimits: HistoryLimits = {
  messagesPerAuthor: 2_000,
  textPerAuthor: 2_000_000,
  messages: 20_000,
  text: 16_000_000,
};

export type Notice =
  | { type: 'joined'; peer: PeerId }
  | { type: 'left'; peer: PeerId; vanished: number }
  | { type: 'renamed'; peer: PeerId; from: string; to: string }
  | { type: 'info'; text: string }
  | { type: 'error'; text: string };

export interface NoticeEntry {
  kind: 'notice';
  id: string;
  ts: number;
  notice: Notice;
}

export type Entry = ChatMessage | NoticeEntry;

export function isPending(message: ChatMessage): boolean {
  return Number.isNaN(message.ts);
}

export function expiresAt(message: ChatMessage): number {
  return message.ttl ? message.ts + message.ttl : Infinity;
}

function compare(a: Entry, b: Entry): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Below this many, inserting one by one beats merging. */
const bulkThreshold = 32;

/** How much is held: messages, and characters of their text. */
interface Held {
  messages: number;
  text: number;
}

export class HistoryStore {
  /** Delivered messages and notices, sorted by (ts, id). */
  #sorted: Entry[] = [];
  /** Own messages waiting for their echo, in the order they were written. */
  #pending: ChatMessage[] = [];
  #byId = new Map<string, Entry>();
  #expiring = new Set<ChatMessage>();
  #clearedBefore = -Infinity;
  #noticeCount = 0;
  /** Delivered messages held, per author and in all. */
  readonly #held = new Map<PeerId, Held>();
  readonly #total: Held = { messages: 0, text: 0 };
  #snapshot: readonly Entry[] | undefined;

  get size(): number {
    return this.#byId.size;
  }

  /** Everything to show, oldest first, own unconfirmed messages last. The same array until something changes. */
  entries(): readonly Entry[] {
    if (!this.#snapshot) {
      const visible = this.#sorted.filter((entry) => entry.ts >= this.#clearedBefore);
      this.#snapshot = visible.concat(this.#pending);
    }
    return this.#snapshot;
  }

  get(id: string): Entry | undefined {
    return this.#byId.get(id);
  }

  /**
   * Adds delivered messages. A known id is not added twice; if it comes from
   * another id of the same person (`samePerson`: its author reconnected under
   * a new id) it moves to them, and from anyone else it is ignored: nobody can
   * take over a message they did not write. Messages already expired at `now`
   * are ignored. Returns how many changed.
   */
  addDelivered(
    author: PeerId,
    messages: readonly DeliveredMessage[],
    now: number,
    { samePerson = () => false, late = false }: { samePerson?: (a: PeerId, b: PeerId) => boolean; late?: boolean } = {},
  ): number {
    const fresh: ChatMessage[] = [];
    let changed = 0;
    for (const wire of messages) {
      const message = toChatMessage(author, wire, late);
      if (expiresAt(message) <= now) continue;
      const known = this.#byId.get(message.id);
      if (known === undefined) {
        fresh.push(message);
        this.#byId.set(message.id, message);
      } else if (
        known.kind === 'message' &&
        known.author !== author &&
        !isPending(known) &&
        samePerson(known.author, author)
      ) {
        this.#replace(known, { ...known, author });
        changed++;
      } else if (known.kind === 'message' && known.author === author && (message.edited ?? 0) > (known.edited ?? 0)) {
        this.#replace(known, { ...known, text: message.text, edited: message.edited });
        changed++;
      }
    }
    this.#insert(fresh);
    return changed + fresh.length;
  }

  /** An own message shown at once, before the relay confirms it. */
  addPending(message: ChatMessage): void {
    if (this.#byId.has(message.id)) return;
    this.#pending.push(message);
    this.#byId.set(message.id, message);
    this.#changed();
  }

  /** The echo of an own message arrived: it takes its place in the order. */
  confirm(id: string, ts: number): boolean {
    const index = this.#pending.findIndex((message) => message.id === id);
    if (index < 0) return false;
    const [pending] = this.#pending.splice(index, 1);
    const delivered = { ...pending!, ts };
    this.#byId.set(id, delivered);
    this.#insert([delivered]);
    return true;
  }

  pending(): readonly ChatMessage[] {
    return this.#pending;
  }

  addNotice(notice: Notice, ts: number): NoticeEntry {
    const entry: NoticeEntry = { kind: 'notice', id: `notice-${++this.#noticeCount}`, ts, notice };
    this.#byId.set(entry.id, entry);
    this.#insert([entry]);
    return entry;
  }

  /** The author changed a delivered message's text at relay time `at`; false if there is no such message. */
  edit(id: string, text: string, at: number): boolean {
    const known = this.#byId.get(id);
    if (known?.kind !== 'message' || isPending(known)) return false;
    this.#replace(known, { ...known, text, edited: at });
    return true;
  }

  /** Drops one message (its author unsent it); returns whether it was held. */
  remove(id: string): boolean {
    return this.#removeWhere((entry) => entry.id === id) > 0;
  }

  /** Drops everything an author wrote; returns how many messages vanished. */
  removeAuthor(author: PeerId): number {
    return this.#removeWhere((entry) => entry.kind === 'message' && entry.author === author);
  }

  /** Drops messages whose lifetime ended at or before `now`; returns how many. */
  expire(now: number): number {
    const expired = new Set([...this.#expiring].filter((message) => expiresAt(message) <= now));
    return expired.size ? this.#removeWhere((entry) => expired.has(entry as ChatMessage)) : 0;
  }

  /** Relay time of the next expiry, or undefined when nothing expires. */
  nextExpiry(): number | undefined {
    let next = Infinity;
    for (const message of this.#expiring) next = Math.min(next, expiresAt(message));
    return next === Infinity ? undefined : next;
  }

  /**
   * Own delivered messages still alive at `now` and delivered or edited after
   * `after`, oldest first: what to send a newcomer, or a returning peer that has the rest.
   */
  delivered(author: PeerId, now: number, after = -Infinity): DeliveredMessage[] {
    const own: DeliveredMessage[] = [];
    for (const entry of this.#sorted) {
      const changedSince = Math.max(entry.ts, (entry.kind === 'message' && entry.edited) || 0) > after;
      if (entry.kind === 'message' && entry.author === author && changedSince && expiresAt(entry) > now) {
        own.push(toDelivered(entry));
      }
    }
    return own;
  }

  /** Relay time of the newest delivered message held from `author`. */
  newestOf(author: PeerId): number | undefined {
    for (let i = this.#sorted.length - 1; i >= 0; i--) {
      const entry = this.#sorted[i]!;
      if (entry.kind === 'message' && entry.author === author) return entry.ts;
    }
    return undefined;
  }

  /**
   * Releases the oldest delivered messages beyond `limits`, per author and in
   * all, so that no one can fill the tab. Returns how many were released.
   * Costs nothing while within the limits: what is held is counted as it changes.
   */
  releaseBeyond(limits: HistoryLimits): number {
    const over = (held: Held | undefined, messages: number, text: number): boolean =>
      held !== undefined && (held.messages > messages || held.text > text);
    const authorOver = (author: PeerId): boolean =>
      over(this.#held.get(author), limits.messagesPerAuthor, limits.textPerAuthor);
    const roomOver = (): boolean => over(this.#total, limits.messages, limits.text);
    if (!roomOver() && ![...this.#held.keys()].some(authorOver)) return 0;
    return this.#removeWhere(
      (entry) => entry.kind === 'message' && !isPending(entry) && (roomOver() || authorOver(entry.author)),
    );
  }

  /** For each author, the relay time of the newest message held: a summary of what this store has. */
  newestByAuthor(): Record<PeerId, number> {
    const newest: Record<PeerId, number> = {};
    for (const entry of this.#sorted) if (entry.kind === 'message') newest[entry.author] = entry.ts;
    return newest;
  }

  /** Own messages, delivered or pending, now belong to a new id (after a reconnect). */
  reassignAuthor(from: PeerId, to: PeerId): void {
    for (const entry of [...this.#byId.values()]) {
      if (entry.kind === 'message' && entry.author === from) this.#replace(entry, { ...entry, author: to });
    }
  }

  /** Authors of the messages held. */
  authors(): Set<PeerId> {
    const authors = new Set<PeerId>();
    for (const entry of this.#byId.values()) if (entry.kind === 'message') authors.add(entry.author);
    return authors;
  }

  /** Hides from view everything up to `ts`; own messages are still kept to send to newcomers. */
  clearView(ts: number): void {
    this.#clearedBefore = ts;
    this.#changed();
  }

  #insert(entries: Entry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      if (entry.kind !== 'message') continue;
      if (entry.ttl) this.#expiring.add(entry);
      this.#count(entry, 1);
    }
    if (entries.length >= bulkThreshold) {
      this.#sorted = mergeSorted(this.#sorted, entries.sort(compare));
    } else {
      for (const entry of entries) this.#sorted.splice(this.#indexFor(entry), 0, entry);
    }
    this.#changed();
  }

  /** The first index whose entry sorts after `entry`. */
  #indexFor(entry: Entry): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.#sorted[middle]!, entry) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #replace(old: ChatMessage, next: ChatMessage): void {
    const list = isPending(old) ? this.#pending : this.#sorted;
    const index = isPending(old) ? list.indexOf(old) : this.#indexFor(old) - 1;
    list[index] = next;
    this.#byId.set(next.id, next);
    if (!isPending(old)) {
      this.#count(old, -1);
      this.#count(next, 1);
    }
    if (this.#expiring.delete(old)) this.#expiring.add(next);
    this.#changed();
  }

  #removeWhere(predicate: (entry: Entry) => boolean): number {
    const before = this.#byId.size;
    const drop = (entry: Entry): boolean => {
      if (!predicate(entry)) return false;
      this.#byId.delete(entry.id);
      if (entry.kind === 'message') {
        this.#expiring.delete(entry);
        if (!isPending(entry)) this.#count(entry, -1);
      }
      return true;
    };
    this.#sorted = this.#sorted.filter((entry) => !drop(entry));
    this.#pending = this.#pending.filter((entry) => !drop(entry));
    const removed = before - this.#byId.size;
    if (removed) this.#changed();
    return removed;
  }

  #changed(): void {
    this.#snapshot = undefined;
  }

  /** Counts a delivered message in (`sign` 1) or out (-1) of what is held. */
  #count(message: ChatMessage, sign: 1 | -1): void {
    const held = this.#held.get(message.author) ?? { messages: 0, text: 0 };
    for (const counts of [held, this.#total]) {
      counts.messages += sign;
      counts.text += sign * message.text.length;
    }
    if (held.messages === 0) this.#held.delete(message.author);
    else this.#held.set(message.author, held);
  }
}

/** Merges two sorted lists in one pass: a batch of history costs its own size plus one walk of what is held. */
function mergeSorted(held: Entry[], incoming: Entry[]): Entry[] {
  const merged: Entry[] = new Array(held.length + incoming.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < held.length && j < incoming.length) {
    merged[k++] = compare(held[i]!, incoming[j]!) <= 0 ? held[i++]! : incoming[j++]!;
  }
  while (i < held.length) merged[k++] = held[i++]!;
  while (j < incoming.length) merged[k++] = incoming[j++]!;
  return merged;
}

function toChatMessage(author: PeerId, wire: DeliveredMessage, late: boolean): ChatMessage {
  const message: ChatMessage = {
    kind: 'message',
    id: wire.id,
    author,
    text: wire.text,
    action: wire.action ?? false,
    ttl: wire.ttl ?? 0,
    ts: wire.ts,
    ...(wire.reply && { reply: wire.reply }),
    ...(wire.edited && { edited: wire.edited }),
  };
  if (late) message.late = true;
  if (wire.file) message.file = wire.file;
  return message;
}

/** A message as it travels when first sent, before it has a place in the order. */
export function toWire(message: ChatMessage): WireMessage {
  const wire: WireMessage = { id: message.id, text: message.text };
  if (message.action) wire.action = true;
  if (message.ttl) wire.ttl = message.ttl;
  if (message.file) wire.file = message.file;
  if (message.reply) wire.reply = message.reply;
  return wire;
}

export function toDelivered(message: ChatMessage): DeliveredMessage {
  const delivered = toWire(message) as DeliveredMessage;
  delivered.ts = message.ts;
  if (message.edited) delivered.edited = message.edited;
  return delivered;
}

/**
 * Packs messages into as few batch envelopes as fit, each within `maxPayload`
 * once encrypted and base64url-encoded. Always at least one, so that even an
 * author with nothing to send tells a newcomer its name. A message too large
 * to travel alone is left out.
 */
export function batchEnvelopes(
  name: string,
  messages: readonly DeliveredMessage[],
  maxPayload: number,
): ChatEnvelope[] {
  const newBatch = (): ChatEnvelope & { kind: 'batch' } => ({ v: 1, kind: 'batch', name, messages: [] });
  const emptyBytes = utf8Length(JSON.stringify(newBatch()));
  const batches = [newBatch()];
  let bytes = emptyBytes;
  for (const message of messages) {
    const size = utf8Length(JSON.stringify(message));
    const current = batches[batches.length - 1]!;
    const separator = current.messages.length > 0 ? 1 : 0;
    if (payloadLength(bytes + separator + size) <= maxPayload) {
      current.messages.push(message);
      bytes += separator + size;
    } else if (payloadLength(emptyBytes + size) <= maxPayload) {
      const next = newBatch();
      next.messages.push(message);
      batches.push(next);
      bytes = emptyBytes + size;
    }
  }
  return batches;
}
