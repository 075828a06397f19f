// Text from the room, made safe to print on a terminal. A terminal obeys the
// control characters in what it prints: with ESC or a C1 control a member
// could move the cursor, retitle the window, hide text or plant a hyperlink;
// with a bidirectional override they could make text read backwards. Every
// such character is shown instead of obeyed: C0 controls and DEL as their
// Unicode control pictures (so an escape sequence prints as "␛[2J"), C1
// controls and bidirectional formatting as U+FFFD.

/** C0 controls, DEL, C1 controls, and the line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** Embeddings, overrides and isolates, and the marks that steer them. */
const bidiFormatting = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const replacement = '\ufffd';

function picture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  if (code === 0x2028 || code === 0x2029) return '\u2424';
  return replacement;
}

/** One line of text with nothing a terminal would obey; newlines show as ␤ and tabs as a space. */
export function sanitizeLine(text: string): string {
  return text
    .replace(/\t/g, ' ')
    .replace(/\r\n|\n|\r/g, '\u2424')
    .replace(controls, picture)
    .replace(bidiFormatting, replacement);
}

/** The lines of a text, each made safe. */
export function sanitizeLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/).map(sanitizeLine);
}

/** Characters JSON.stringify leaves raw that a terminal could still obey. */
const jsonUnsafe = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text that parses to exactly `value`, with every control character written as an escape. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(jsonUnsafe, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
