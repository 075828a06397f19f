// The input line: editing keys as in a shell (readline's emacs bindings) and
// a history of what was entered, walked with the arrow keys.

/** What Node's readline reports for a key press. */
export interface Key {
  name?: string | undefined;
  ctrl?: boolean | undefined;
  meta?: boolean | undefined;
  shift?: boolean | undefined;
  sequence?: string | undefined;
}

export type KeyResult = 'submit' | 'edited' | 'moved' | 'ignored';

/** Entries kept in the input history. */
const historyLength = 200;
/** Longer than any message may be, so a paste is never cut silently before the core says it is too long. */
const maxInputLength = 20_000;

export class LineEditor {
  text = '';
  /** Cursor position in UTF-16 units, always on a code point boundary. */
  cursor = 0;
  readonly #history: string[] = [];
  /** Position while walking the history; history.length means the line being written. */
  #browsing = 0;
  #draft = '';

  /** Applies one key press; `submit` means the line was taken (read it from `take`). */
  press(input: string | undefined, key: Key): KeyResult {
    const action = this.#binding(key);
    if (action) return action();
    // eslint-disable-next-line no-control-regex -- a key's text never inserts a control character
    const printable = input && !key.ctrl && !key.meta ? input.replace(/[\u0000-\u001f\u007f]/g, '') : '';
    if (!printable) return 'ignored';
    this.insert(printable);
    return 'edited';
  }

  insert(text: string): void {
    const room = maxInputLength - this.text.length;
    const added = text.slice(0, Math.max(0, room));
    this.text = this.text.slice(0, this.cursor) + added + this.text.slice(this.cursor);
    this.cursor += added.length;
  }

  /** The entered line, remembered in the history; the editor starts a new line. */
  take(): string {
    const line = this.text;
    if (line.trim() && this.#history.at(-1) !== line) this.#history.push(line);
    if (this.#history.length > historyLength) this.#history.shift();
    this.#browsing = this.#history.length;
    this.text = '';
    this.cursor = 0;
    return line;
  }

  #binding(key: Key): (() => KeyResult) | undefined {
    const moved = (to: number) => (): KeyResult => ((this.cursor = to), 'moved');
    const edit = (change: () => void) => (): KeyResult => (change(), 'edited');
    if (key.ctrl) {
      const bindings: Record<string, () => KeyResult> = {
        a: moved(0),
        e: moved(this.text.length),
        b: moved(this.#previous(this.cursor)),
        f: moved(this.#next(this.cursor)),
        left: moved(this.#wordStart()),
        right: moved(this.#wordEnd()),
        h: edit(() => this.#deleteBack()),
        d: edit(() => this.#deleteForward()),
        k: edit(() => (this.text = this.text.slice(0, this.cursor))),
        u: edit(() => this.#cut(0, this.cursor)),
        w: edit(() => this.#cut(this.#wordStart(), this.cursor)),
        p: () => this.#walk(-1),
        n: () => this.#walk(1),
      };
      return key.name ? bindings[key.name] : undefined;
    }
    if (key.meta) {
      const bindings: Record<string, () => KeyResult> = {
        b: moved(this.#wordStart()),
        f: moved(this.#wordEnd()),
        left: moved(this.#wordStart()),
        right: moved(this.#wordEnd()),
        backspace: edit(() => this.#cut(this.#wordStart(), this.cursor)),
      };
      return key.name ? bindings[key.name] : undefined;
    }
    const bindings: Record<string, () => KeyResult> = {
      return: () => 'submit',
      enter: () => 'submit',
      left: moved(this.#previous(this.cursor)),
      right: moved(this.#next(this.cursor)),
      home: moved(0),
      end: moved(this.text.length),
      backspace: edit(() => this.#deleteBack()),
      delete: edit(() => this.#deleteForward()),
      up: () => this.#walk(-1),
      down: () => this.#walk(1),
    };
    return key.name ? bindings[key.name] : undefined;
  }

  #previous(at: number): number {
    if (at <= 0) return 0;
    const low = this.text.charCodeAt(at - 1);
    return at >= 2 && low >= 0xdc00 && low <= 0xdfff ? at - 2 : at - 1;
  }

  #next(at: number): number {
    if (at >= this.text.length) return this.text.length;
    return at + String.fromCodePoint(this.text.codePointAt(at)!).length;
  }

  #wordStart(): number {
    let at = this.cursor;
    while (at > 0 && this.text[at - 1] === ' ') at--;
    while (at > 0 && this.text[at - 1] !== ' ') at--;
    return at;
  }

  #wordEnd(): number {
    let at = this.cursor;
    while (at < this.text.length && this.text[at] === ' ') at++;
    while (at < this.text.length && this.text[at] !== ' ') at++;
    return at;
  }

  #deleteBack(): void {
    this.#cut(this.#previous(this.cursor), this.cursor);
  }

  #deleteForward(): void {
    this.#cut(this.cursor, this.#next(this.cursor));
  }

  #cut(from: number, to: number): void {
    this.text = this.text.slice(0, from) + this.text.slice(to);
    this.cursor = from;
  }

  /** Steps through the history; the line being written is kept and comes back at the end. */
  #walk(step: number): KeyResult {
    const next = this.#browsing + step;
    if (next < 0 || next > this.#history.length) return 'ignored';
    if (this.#browsing === this.#history.length) this.#draft = this.text;
    this.#browsing = next;
    this.text = next === this.#history.length ? this.#draft : this.#history[next]!;
    this.cursor = this.text.length;
    return 'edited';
  }
}
