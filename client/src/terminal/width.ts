// How many terminal columns text takes, for laying out lines that only
// contain printable characters (see sanitize.ts).

/** Combining marks (variation selectors among them) and format characters such as the zero-width joiner. */
const zeroWidth = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const wide =
  /^[\p{Emoji_Presentation}\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]$/u;

export function charWidth(char: string): number {
  if (zeroWidth.test(char)) return 0;
  return wide.test(char) ? 2 : 1;
}

export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** The longest start of `text` that fits in `columns`. */
export function fitWidth(text: string, columns: number): string {
  let width = 0;
  let end = 0;
  for (const char of text) {
    width += charWidth(char);
    if (width > columns) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/** Breaks one line into pieces of at most `columns`, at spaces where it can. */
export function wrap(text: string, columns: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (textWidth(rest) > columns) {
    const fits = fitWidth(rest, Math.max(1, columns));
    const space = fits.lastIndexOf(' ');
    const cut = space > 0 ? space : fits.length || String.fromCodePoint(rest.codePointAt(0)!).length;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(space > 0 ? cut + 1 : cut);
  }
  pieces.push(rest);
  return pieces;
}
