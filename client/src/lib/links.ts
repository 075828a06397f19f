// Room links and clickable links in message text. Pure string work: the text
// is split into parts that the view renders as text nodes and anchors, never
// as HTML.
import { isRoomSecret } from './crypto.ts';

/** The room secret in a URL fragment such as "#abc…", or undefined. */
export function secretFromHash(hash: string): string | undefined {
  const secret = hash.replace(/^#/, '');
  return isRoomSecret(secret) ? secret : undefined;
}

/** The room secret of a pasted link (or a bare secret), or undefined. */
export function secretFromLink(text: string): string | undefined {
  const hashAt = text.indexOf('#');
  return secretFromHash(hashAt >= 0 ? text.slice(hashAt) : text.trim());
}

export function roomLink(origin: string, secret: string): string {
  return `${origin}/#${secret}`;
}

export type TextPart = { text: string; href?: string };

const urlPattern = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that usually closes a sentence rather than a URL. */
const trailingPunctuation = /[.,;:!?)\]}'"]+$/;

/** Splits message text into plain parts and http(s) links. */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(urlPattern)) {
    const url = match[0].replace(trailingPunctuation, '');
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
