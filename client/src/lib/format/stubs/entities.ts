// markdown-it's HTML entity decoder, left out of the page (its tables are most
// of the parser's size): the entity rule is off, so `&amp;` shows as typed,
// and entities in link targets stay as written.
export function decodeHTMLStrict(text: string): string {
  return text;
}
