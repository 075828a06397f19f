// What the room session offers the features built on it. The session owns
// the connection, the keys and the order in which frames are handled; each
// feature owns its envelope kinds and its state, and reaches the room only
// through this context.
import type { PeerId } from '../../../protocol/index.ts';
import type { ChatMessage, Notice, NoticeEntry } from './chat/history.ts';
import type { Envelope } from './envelope.ts';

/** A message or departure that just happened (not history arriving), for announcements. */
export type LiveEvent = { type: 'message'; message: ChatMessage } | { type: 'notice'; notice: Notice };

/** How an envelope reached us. */
export interface Received {
  /** The sender, as stamped by the relay. */
  from: PeerId;
  /** The relay's time of the frame that carried it. */
  ts: number;
  /** Whether we sent it (the relay's echo of our own frame). */
  self: boolean;
  /** Whether it was sealed for us alone (a unicast) rather than for the room. */
  unicast: boolean;
}

export interface RoomContext {
  /** Our id in the room, once the relay has given one. */
  selfId(): PeerId | undefined;
  /** Our display name. */
  name(): string;
  connected(): boolean;
  /** The relay's clock now, as well as this client can tell. */
  relayNow(): number;
  /** The local clock. */
  now(): number;
  maxPayload(): number;
  /** Encrypts and sends to the room, or to one peer; an envelope too large to travel is dropped. */
  send(envelope: Envelope, to?: PeerId): Promise<void>;
  /** Asks everyone for their history, with a summary of what we hold when there is one. */
  fetch(summary?: Envelope): Promise<void>;
  /** Whether two peer ids are one person (the same signing key), e.g. before and after a reconnect. */
  samePerson(a: PeerId, b: PeerId): boolean;
  /** A line in the history, e.g. who joined or an error. */
  notice(notice: Notice): NoticeEntry;
  live(event: LiveEvent): void;
  /** Something visible changed. */
  changed(): void;
}
