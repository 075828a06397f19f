// How a message reads outside the interactive screen: one line of text, or
// one line of JSON. Both are safe to print (see sanitize.ts).
import type { PeerId } from '../../../protocol/index.ts';
import type { ChatMessage } from '../lib/chat/history.ts';
import { authorTag } from '../lib/names.ts';
import { ttlChoices } from '../lib/ttl.ts';
import { safeJson, sanitizeLine } from './sanitize.ts';

export interface Speaker {
  nameOf(peer: PeerId): string;
  selfId: PeerId | undefined;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time, "14:03:27". */
export function clockTime(ts: number): string {
  const date = new Date(ts);
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** "14:03:27 Calm Otter #3fa1: hello", or "14:03:27 * Calm Otter #3fa1 waves" for /me. */
export function messageLine(message: ChatMessage, speaker: Speaker): string {
  const who = `${sanitizeLine(speaker.nameOf(message.author))} ${authorTag(message.author)}`;
  const text = sanitizeLine(message.text);
  return message.action ? `${clockTime(message.ts)} * ${who} ${text}` : `${clockTime(message.ts)} ${who}: ${text}`;
}

/** One JSON object: what a script needs to tell messages and authors apart. */
export function messageJson(message: ChatMessage, speaker: Speaker): string {
  return safeJson({
    type: 'message',
    id: message.id,
    time: new Date(message.ts).toISOString(),
    ts: message.ts,
    name: speaker.nameOf(message.author),
    tag: authorTag(message.author),
    self: message.author === speaker.selfId,
    text: message.text,
    action: message.action,
    ttl: ttlChoices.find((choice) => choice.ms === message.ttl)?.short ?? 'off',
  });
}
