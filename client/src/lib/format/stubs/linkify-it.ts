// markdown-it's bare-URL detection, left out of the page: its option is off
// (links.ts finds bare http(s) URLs in text), and it carries the whole TLD list.
export class LinkifyIt {
  test(): boolean {
    return false;
  }
}
