// The conversation's envelope kinds: a message as it is first sent, a batch
// of an author's earlier messages for a newcomer, and the summary a returning
// peer sends (inside `fetch`) of what it already holds.
import { MAX_TIMESTAMP } from '../../../../protocol/index.ts';
import { isRecord, isValidName, withoutDeceptive, type EnvelopeDecoders } from '../envelope-fields.ts';
import { isMessageId } from '../conversation/envelopes.ts';
import { isTtl, type Ttl } from '../ttl.ts';
import { toFileAnnouncement, type FileAnnouncement } from '../files/envelopes.ts';

export const maxTextLength = 10_000;

/** A message as it travels. `ts` is the relay time of its first delivery, present whenever it is sent again. */
export interface WireMessage {
  id: string;
  text: string;
  /** An action written with /me. */
  action?: boolean;
  /** Lifetime in milliseconds from `ts`; absent or 0 for none. */
  ttl?: Ttl;
  ts?: number;
  /** An image or file it carries; the text may then be empty. */
  file?: FileAnnouncement;
  /** The message this one answers. */
  reply?: string;
  /** Relay time of the author's latest edit, when the text is not the first one. */
  edited?: number;
}

/** A message that has been delivered once and so has its place in the order. */
export type DeliveredMessage = WireMessage & { ts: number };

export type ChatEnvelope =
  | { v: 1; kind: 'message'; name: string; message: WireMessage }
  | { v: 1; kind: 'batch'; name: string; messages: DeliveredMessage[] }
  /** What a returning peer holds: for each author, the relay time of the newest message it has. */
  | { v: 1; kind: 'summary'; have: Record<string, number> };

/** More authors than any room holds; a larger summary is not believed. */
const maxSummaryAuthors = 4096;

function isSummary(value: unknown): value is Record<string, number> {
  if (!isRecord(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= maxSummaryAuthors && entries.every(([, ts]) => typeof ts === 'number' && Number.isFinite(ts))
  );
}

const isRelayTime = (value: unknown): value is number =>
  typeof value === 'number' && value > 0 && value <= MAX_TIMESTAMP;

function toWireMessage(value: unknown, needsTs: boolean): WireMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, action, ttl, ts, reply, edited } = value;
  if (!isMessageId(id)) return undefined;
  const file = value.file === undefined ? undefined : toFileAnnouncement(value.file);
  if (value.file !== undefined && !file) return undefined;
  const text = typeof value.text === 'string' ? withoutDeceptive(value.text) : '';
  if (typeof value.text !== 'string' || text.length > maxTextLength || (text.length === 0 && !file)) return undefined;
  if (action !== undefined && typeof action !== 'boolean') return undefined;
  if (ttl !== undefined && !isTtl(ttl)) return undefined;
  const hasTs = isRelayTime(ts);
  if (needsTs ? !hasTs : ts !== undefined && !hasTs) return undefined;
  if (reply !== undefined && !isMessageId(reply)) return undefined;
  if (edited !== undefined && !isRelayTime(edited)) return undefined;
  const message: WireMessage = { id, text };
  if (action) message.action = true;
  if (ttl) message.ttl = ttl;
  if (hasTs) message.ts = ts;
  if (file) message.file = file;
  if (reply) message.reply = reply;
  if (edited) message.edited = edited;
  return message;
}

function isDelivered(message: WireMessage | undefined): message is DeliveredMessage {
  return message?.ts !== undefined;
}

export const chatDecoders: EnvelopeDecoders<ChatEnvelope> = {
  message(value) {
    const message = toWireMessage(value.message, false);
    return message && isValidName(value.name) ? { v: 1, kind: 'message', name: value.name, message } : undefined;
  },
  batch(value) {
    if (!isValidName(value.name) || !Array.isArray(value.messages)) return undefined;
    const messages = value.messages.map((item) => toWireMessage(item, true));
    if (!messages.every(isDelivered)) return undefined;
    return { v: 1, kind: 'batch', name: value.name, messages };
  },
  summary(value) {
    return isSummary(value.have) ? { v: 1, kind: 'summary', have: value.have } : undefined;
  },
};
