// What arrived while the reader was away: counts for the title and where the
// unread messages start. Pure bookkeeping; the page says when it is hidden.

export class Unread {
  messages = 0;
  mentions = 0;
  /** The first message that arrived while away, until the reader has seen it. */
  firstId: string | undefined;
  #away = false;

  /** The page was hidden (true) or shown again (false). */
  away(hidden: boolean): void {
    this.#away = hidden;
    if (hidden) this.firstId = undefined;
    else this.messages = this.mentions = 0;
  }

  /** A message arrived live; returns whether it counts as unread. */
  arrived(id: string, mentionsMe: boolean): boolean {
    if (!this.#away) return false;
    this.messages++;
    if (mentionsMe) this.mentions++;
    this.firstId ??= id;
    return true;
  }

  title(base: string): string {
    if (this.messages === 0) return base;
    const mentioned = this.mentions ? `, @${this.mentions}` : '';
    return `(${this.messages}${mentioned}) ${base}`;
  }
}
