// What people do to messages already sent: edit or unsend their own, react to
// anyone's, and (inside a message) the message it answers. Each is honoured
// only for the relay-stamped sender it belongs to (see conversation.ts).
import { isRecord, type EnvelopeDecoders } from '../envelope-fields.ts';

export const maxEditLength = 10_000;
/** More reactions than one person could place by hand; a larger set is not believed. */
export const maxReactionsPerPerson = 1000;

/** The picker's choices; only these travel, so a reaction is always one short, known string. */
export const reactionChoices = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'] as const;
export type ReactionEmoji = (typeof reactionChoices)[number];

export interface ReactionItem {
  id: string;
  emoji: ReactionEmoji;
}

export type ConversationEnvelope =
  | { v: 1; kind: 'edit'; id: string; text: string }
  | { v: 1; kind: 'unsend'; id: string }
  | { v: 1; kind: 'react'; id: string; emoji: ReactionEmoji; on: boolean }
  /** All of the sender's reactions: to a newcomer, a returning peer, or everyone after a reconnect. */
  | { v: 1; kind: 'reactions'; items: ReactionItem[] };

const messageIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && messageIdPattern.test(value);
}

export function isReactionEmoji(value: unknown): value is ReactionEmoji {
  return (reactionChoices as readonly unknown[]).includes(value);
}

export function isMessageText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

function toReactionItem(value: unknown): ReactionItem | undefined {
  if (!isRecord(value) || !isMessageId(value.id) || !isReactionEmoji(value.emoji)) return undefined;
  return { id: value.id, emoji: value.emoji };
}

export const conversationDecoders: EnvelopeDecoders<ConversationEnvelope> = {
  edit: ({ id, text }) =>
    isMessageId(id) && isMessageText(text, maxEditLength) ? { v: 1, kind: 'edit', id, text } : undefined,
  unsend: ({ id }) => (isMessageId(id) ? { v: 1, kind: 'unsend', id } : undefined),
  react: ({ id, emoji, on }) =>
    isMessageId(id) && isReactionEmoji(emoji) && typeof on === 'boolean'
      ? { v: 1, kind: 'react', id, emoji, on }
      : undefined,
  reactions({ items }) {
    if (!Array.isArray(items) || items.length > maxReactionsPerPerson) return undefined;
    const valid = items.map(toReactionItem);
    return valid.every((item) => item !== undefined) ? { v: 1, kind: 'reactions', items: valid } : undefined;
  },
};
