// Mentions: `@Name` in a message. Names may hold spaces, so a mention matches
// a known name as written after the @, not a word pattern.

/** Whether `text` mentions `name` with @ (case-insensitive, not inside a longer word). */
export function mentions(text: string, name: string): boolean {
  if (!name) return false;
  const lower = text.toLowerCase();
  const wanted = `@${name.toLowerCase()}`;
  for (let at = lower.indexOf(wanted); at >= 0; at = lower.indexOf(wanted, at + 1)) {
    const after = lower[at + wanted.length];
    if (after === undefined || !/[\p{L}\p{N}_]/u.test(after)) return true;
  }
  return false;
}

/** The partly typed mention just before the caret (`@Sun` gives "Sun"), or undefined. */
export function mentionQuery(textBeforeCaret: string): string | undefined {
  return /(?:^|\s)@([^\s@]{0,32})$/u.exec(textBeforeCaret)?.[1];
}

/** The names to offer for a partly typed mention, at most `limit`. */
export function mentionChoices(query: string, names: readonly string[], limit = 6): string[] {
  const lower = query.toLowerCase();
  return [...new Set(names)].filter((name) => name.toLowerCase().startsWith(lower)).slice(0, limit);
}
