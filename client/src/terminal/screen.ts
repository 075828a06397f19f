// The interactive screen, drawn whole from the room's state on every change:
// the conversation above (wrapped to the width, scrolled back on request), a
// status line, and the input line at the bottom. Drawing everything from the
// state is what lets messages vanish and the screen survive a resize.
import type { PeerId } from '../../../protocol/index.ts';
import { isPending, type Entry } from '../lib/chat/history.ts';
import { noticeText } from '../lib/describe.ts';
import { authorColor, authorTag } from '../lib/names.ts';
import { ttlChoices } from '../lib/ttl.ts';
import { clockTime } from './format.ts';
import { sanitizeLine, sanitizeLines } from './sanitize.ts';
import { fitWidth, textWidth, wrap } from './width.ts';

/** A piece of a line with its SGR attributes ("" for plain). */
export interface Span {
  text: string;
  style: string;
}
export type Line = Span[];

const esc = '\u001b[';
export const sgr = {
  dim: '2',
  bold: '1',
  error: '31',
  inverse: '7',
};

/** The page's dark-theme author colours (--author-0 … --author-7 in app.css), as RGB. */
const authorRgb: readonly [number, number, number][] = [
  [0xff, 0x8a, 0x80],
  [0xff, 0xb4, 0x6b],
  [0xd8, 0xd2, 0x6a],
  [0x7f, 0xd6, 0x8e],
  [0x5f, 0xd3, 0xc4],
  [0x8d, 0xb8, 0xff],
  [0xc4, 0xa5, 0xff],
  [0xff, 0x8f, 0xc1],
];

export type ColorDepth = 'none' | '256' | 'truecolor';

/** The nearest colour of xterm's 6×6×6 cube. */
function cube256([r, g, b]: readonly [number, number, number]): number {
  const level = (value: number): number => (value < 48 ? 0 : value < 115 ? 1 : Math.floor((value - 35) / 40));
  return 16 + 36 * level(r) + 6 * level(g) + level(b);
}

export function authorStyle(peer: PeerId, depth: ColorDepth): string {
  const rgb = authorRgb[authorColor(peer)]!;
  if (depth === 'none') return sgr.bold;
  return depth === 'truecolor' ? `1;38;2;${rgb.join(';')}` : `1;38;5;${cube256(rgb)}`;
}

export interface Speakers {
  nameOf(peer: PeerId): string;
  selfId: PeerId | undefined;
  depth: ColorDepth;
}

function ttlMark(entry: Entry): string {
  if (entry.kind !== 'message' || !entry.ttl) return '';
  return ` ⏱${ttlChoices.find((choice) => choice.ms === entry.ttl)?.short ?? ''}`;
}

/** One entry as screen lines of at most `columns`: a header on the first line, continuation lines indented. */
export function entryLines(entry: Entry, columns: number, speakers: Speakers): Line[] {
  if (entry.kind === 'notice') {
    const style = entry.notice.type === 'error' ? sgr.error : entry.notice.type === 'info' ? '' : sgr.dim;
    const text = noticeText(entry.notice, speakers.nameOf, speakers.selfId);
    return sanitizeLines(text).flatMap((line) => wrap(line, columns).map((piece) => [{ text: piece, style }]));
  }
  const pending = isPending(entry);
  const own = pending || entry.author === speakers.selfId;
  const author = own && speakers.selfId ? speakers.selfId : entry.author;
  const name = sanitizeLine(speakers.nameOf(author)) + (own ? ' (you)' : '');
  const header: Line = [
    { text: pending ? 'sending… ' : `${clockTime(entry.ts).slice(0, 5)} `, style: sgr.dim },
    ...(entry.action ? [{ text: '* ', style: '' }] : []),
    { text: name, style: authorStyle(author, speakers.depth) },
    { text: ` ${authorTag(author)}${ttlMark(entry)}`, style: sgr.dim },
    { text: entry.action ? ' ' : ': ', style: '' },
  ];
  const indent = 2;
  const lead = header.reduce((width, span) => width + textWidth(span.text), 0);
  const [first = '', ...others] = sanitizeLines(entry.text);
  const opening = wrap(first, Math.max(1, columns - lead))[0]!;
  const lines: Line[] = [[...header, { text: opening, style: '' }]];
  const remainder = first.slice(opening.length).replace(/^ /, '');
  const rest = remainder ? [remainder, ...others] : others;
  for (const line of rest) {
    for (const piece of wrap(line, Math.max(1, columns - indent))) {
      lines.push([{ text: ' '.repeat(indent) + piece, style: '' }]);
    }
  }
  return lines.map((line) => clip(line, columns));
}

/** Cuts a line to `columns`. */
function clip(line: Line, columns: number): Line {
  const clipped: Line = [];
  let left = columns;
  for (const span of line) {
    if (left <= 0) break;
    const text = fitWidth(span.text, left);
    left -= textWidth(text);
    clipped.push({ text, style: span.style });
  }
  return clipped;
}

/**
 * The last `rows` lines of the conversation, `scroll` lines up from the end.
 * Only as many entries as needed are laid out, newest first.
 */
export function visibleLines(
  entries: readonly Entry[],
  rows: number,
  columns: number,
  scroll: number,
  speakers: Speakers,
): { lines: Line[]; above: boolean; scroll: number } {
  const lines: Line[] = [];
  let index = entries.length - 1;
  for (; index >= 0 && lines.length < rows + scroll; index--) {
    lines.unshift(...entryLines(entries[index]!, columns, speakers));
  }
  // Scrolled back past the oldest line: the oldest page is shown.
  const allLaidOut = index < 0;
  const held = allLaidOut ? Math.min(scroll, Math.max(0, lines.length - rows)) : scroll;
  const end = Math.max(0, lines.length - held);
  const start = Math.max(0, end - rows);
  return { lines: lines.slice(start, end), above: start > 0 || !allLaidOut, scroll: held };
}

export interface Frame {
  rows: number;
  columns: number;
  conversation: Line[];
  status: Line;
  prompt: string;
  /** The input line, already safe to print, and the cursor's column within it. */
  input: string;
  cursorColumn: number;
}

function paint(line: Line): string {
  return line.map(({ text, style }) => (style ? `${esc}${style}m${text}${esc}0m` : text)).join('');
}

/** The input's visible window: the whole of it if it fits, else a slice that keeps the cursor in view. */
export function inputWindow(input: string, cursorColumn: number, columns: number): { text: string; cursor: number } {
  if (textWidth(input) < columns) return { text: input, cursor: cursorColumn };
  let skipped = 0;
  let text = input;
  while (cursorColumn - skipped >= columns - 1 && text.length > 0) {
    const first = String.fromCodePoint(text.codePointAt(0)!);
    skipped += textWidth(first);
    text = text.slice(first.length);
  }
  return { text: fitWidth(text, columns - 1), cursor: cursorColumn - skipped };
}

/** The whole screen as one write: every row cleared and drawn, then the cursor put on the input line. */
export function renderFrame(frame: Frame): string {
  const conversationRows = Math.max(0, frame.rows - 2);
  const top = Math.max(0, conversationRows - frame.conversation.length);
  let out = `${esc}?25l${esc}H`;
  for (let row = 0; row < conversationRows; row++) {
    const line = row >= top ? frame.conversation[row - top] : undefined;
    out += `${esc}${row + 1};1H${esc}2K${line ? paint(line) : ''}`;
  }
  const width = Math.max(1, frame.columns - textWidth(frame.prompt));
  const shown = inputWindow(frame.input, frame.cursorColumn, width);
  out += `${esc}${frame.rows - 1};1H${esc}2K${paint(clip(frame.status, frame.columns))}`;
  out += `${esc}${frame.rows};1H${esc}2K${frame.prompt}${shown.text}`;
  out += `${esc}${frame.rows};${textWidth(frame.prompt) + shown.cursor + 1}H${esc}?25h`;
  return out;
}
