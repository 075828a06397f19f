// What a drawn message may do to the room, handed down from the room view to
// each entry in one object so the list does not grow a prop per feature.
import type { PeerId } from '../../../protocol/index.ts';
import type { ChatMessage, Entry } from '../lib/chat/history.ts';
import type { ReactionEmoji } from '../lib/conversation/envelopes.ts';

export interface MessageActions {
  /** The entry with this id, if it is still held. */
  find(id: string): Entry | undefined;
  /** Whether we wrote this delivered message. */
  isOwn(id: string): boolean;
  /** Whether the message names us with @. */
  mentionsMe(message: ChatMessage): boolean;
  nameOf(peer: PeerId): string;
  /** Whether messages are drawn with their formatting or as typed (the reader's preference). */
  formatting(): boolean;
  reply(message: ChatMessage): void;
  edit(message: ChatMessage): void;
  unsend(message: ChatMessage): void;
  react(message: ChatMessage, emoji: ReactionEmoji): void;
  /** Scrolls to a message and puts focus on it. */
  show(id: string): void;
}
