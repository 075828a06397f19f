// What a drawn message is made of: a plain tree of elements and text that the
// view turns into DOM nodes, never an HTML string. Markdown (markdown.ts)
// builds rich trees; a message shown as typed is one paragraph of text and
// links, built here without the parser.
import { linkify } from '../links.ts';

export type FormatTag = 'p' | 'blockquote' | 'ul' | 'ol' | 'li' | 'strong' | 'em' | 's';

export type FormatNode =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'codeblock'; text: string; language: string }
  | { type: 'element'; tag: FormatTag; children: FormatNode[]; start?: number }
  /** `showTarget` when the link's text is not its target, so the reader sees where it goes. */
  | { type: 'link'; href: string; children: FormatNode[]; showTarget: boolean };

/** Text with its web addresses as links, as the parser's text nodes get them too. */
export function linkedText(text: string): FormatNode[] {
  return linkify(text).map((part) =>
    part.href
      ? { type: 'link', href: part.href, children: [{ type: 'text', text: part.text }], showTarget: false }
      : { type: 'text', text: part.text },
  );
}

/** The message as typed: one paragraph, line breaks kept by the view's white-space. */
export function plainMessage(text: string): FormatNode[] {
  return [{ type: 'element', tag: 'p', children: linkedText(text) }];
}

/** The plain text of a tree, as a reader sees it. */
export function textOf(nodes: readonly FormatNode[]): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case 'text':
        case 'code':
        case 'codeblock':
          return node.text;
        default:
          return textOf(node.children);
      }
    })
    .join('');
}
