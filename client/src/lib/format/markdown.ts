// Message formatting: a small Markdown subset parsed by markdown-it (raw HTML
// off) and turned into a plain tree that the view draws as elements and text
// nodes. No HTML string is ever produced, so nothing a sender writes can reach
// innerHTML; only http, https and mailto links become links. The page loads
// this module (and markdown-it) on its own, see formatting.svelte.ts.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { linkedText, plainMessage, textOf, type FormatNode, type FormatTag } from './nodes.ts';

/** Deeper nesting than this stays text: hostile input cannot build an unbounded tree. */
const maxNesting = 20;
const allowedProtocols = new Set(['http:', 'https:', 'mailto:']);

export function isAllowedHref(href: string): boolean {
  try {
    return allowedProtocols.has(new URL(href).protocol);
  } catch {
    return false;
  }
}

const parser = new MarkdownIt('zero', { html: false, breaks: true, linkify: false, maxNesting });
parser.enable(['blockquote', 'fence', 'list', 'emphasis', 'strikethrough', 'backticks', 'link', 'escape', 'newline']);
parser.validateLink = isAllowedHref;

const tags: Partial<Record<string, FormatTag>> = {
  paragraph_open: 'p',
  blockquote_open: 'blockquote',
  bullet_list_open: 'ul',
  ordered_list_open: 'ol',
  list_item_open: 'li',
  strong_open: 'strong',
  em_open: 'em',
  s_open: 's',
};

/** The message text as a tree of formatted nodes. */
export function formatMessage(text: string): FormatNode[] {
  const tokens = parser.parse(text, {});
  // At the nesting limit markdown-it stops and drops the rest: such a message is shown as typed.
  if (tokens.some((token) => token.level >= maxNesting - 1)) return plainMessage(text);
  return toNodes(tokens);
}

/** Where children go while a container is open; a hidden container (a tight list's paragraph) adds none. */
interface Open {
  children: FormatNode[];
  node?: FormatNode & { type: 'link' };
}

function toNodes(tokens: readonly Token[]): FormatNode[] {
  const root: FormatNode[] = [];
  const stack: Open[] = [{ children: root }];
  const append = (nodes: FormatNode[]): void => void stack.at(-1)!.children.push(...nodes);
  for (const token of tokens) {
    if (token.type === 'inline') append(toNodes(token.children ?? []));
    else if (token.nesting === 1) stack.push(open(token, stack.at(-1)!.children));
    else if (token.nesting === -1) close(stack.pop()!);
    else
      append(
        leaf(
          token,
          stack.some((open) => open.node),
        ),
      );
  }
  return root;
}

function open(token: Token, parent: FormatNode[]): Open {
  const tag = tags[token.type];
  if (token.type === 'link_open') {
    const href = String(token.attrGet('href') ?? '');
    if (!isAllowedHref(href)) return { children: parent };
    const node: FormatNode & { type: 'link' } = { type: 'link', href, children: [], showTarget: false };
    parent.push(node);
    return { children: node.children, node };
  }
  if (!tag || token.hidden) return { children: parent };
  const node: FormatNode = { type: 'element', tag, children: [] };
  const start = Number(token.attrGet('start'));
  if (tag === 'ol' && Number.isSafeInteger(start)) node.start = start;
  parent.push(node);
  return { children: node.children };
}

function close({ node }: Open): void {
  if (!node) return;
  const shown = textOf(node.children);
  node.showTarget = shown !== node.href && `mailto:${shown}` !== node.href;
}

function leaf(token: Token, inLink: boolean): FormatNode[] {
  switch (token.type) {
    case 'text':
      return inLink ? [{ type: 'text', text: token.content }] : linkedText(token.content);
    case 'code_inline':
      return [{ type: 'code', text: token.content }];
    case 'fence':
      return [{ type: 'codeblock', text: token.content.replace(/\n$/, ''), language: token.info.trim() }];
    case 'softbreak':
    case 'hardbreak':
      // A line break as typed: the view keeps it with white-space, and the text reads as sent.
      return [{ type: 'text', text: '\n' }];
    default:
      return token.content ? [{ type: 'text', text: token.content }] : [];
  }
}
