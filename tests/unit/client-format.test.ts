import { describe, expect, it } from 'vitest';
import { formatMessage } from '../../client/src/lib/format/markdown.ts';
import { plainMessage, textOf, type FormatNode } from '../../client/src/lib/format/nodes.ts';

/** The nodes of a one-paragraph message. */
function inline(text: string): FormatNode[] {
  const [paragraph, ...rest] = formatMessage(text);
  expect(rest).toEqual([]);
  expect(paragraph).toMatchObject({ type: 'element', tag: 'p' });
  return paragraph!.type === 'element' ? paragraph!.children : [];
}

function tagsIn(nodes: readonly FormatNode[]): string[] {
  return nodes.flatMap((node) =>
    node.type === 'element'
      ? [node.tag, ...tagsIn(node.children)]
      : node.type === 'link'
        ? ['a', ...tagsIn(node.children)]
        : [node.type],
  );
}

function depth(nodes: readonly FormatNode[]): number {
  return Math.max(0, ...nodes.map((node) => ('children' in node ? 1 + depth(node.children) : 0)));
}

describe('message formatting', () => {
  it('renders bold, italic, strikethrough and inline code', () => {
    expect(inline('**bold** *italic* ~~gone~~ `x < y`')).toEqual([
      { type: 'element', tag: 'strong', children: [{ type: 'text', text: 'bold' }] },
      { type: 'text', text: ' ' },
      { type: 'element', tag: 'em', children: [{ type: 'text', text: 'italic' }] },
      { type: 'text', text: ' ' },
      { type: 'element', tag: 's', children: [{ type: 'text', text: 'gone' }] },
      { type: 'text', text: ' ' },
      { type: 'code', text: 'x < y' },
    ]);
  });

  it('renders a fenced code block with its language', () => {
    expect(formatMessage('```ts\nconst a = 1;\n  indented\n```')).toEqual([
      { type: 'codeblock', text: 'const a = 1;\n  indented', language: 'ts' },
    ]);
  });

  it('renders block quotes, nested', () => {
    expect(tagsIn(formatMessage('> outer\n> > inner'))).toEqual(['blockquote', 'p', 'text', 'blockquote', 'p', 'text']);
  });

  it('renders bullet and numbered lists, keeping the first number', () => {
    const [bullets, numbers] = formatMessage('- one\n- two\n\n3. three\n4. four');
    expect(tagsIn([bullets!])).toEqual(['ul', 'li', 'text', 'li', 'text']);
    expect(numbers).toMatchObject({ type: 'element', tag: 'ol', start: 3 });
  });

  it('keeps line breaks', () => {
    expect(inline('first\nsecond')).toEqual([
      { type: 'text', text: 'first' },
      { type: 'text', text: '\n' },
      { type: 'text', text: 'second' },
    ]);
  });

  it('makes http, https and mailto links, showing a target that differs from the text', () => {
    expect(
      inline('[docs](https://example.org/d) [https://a.example](https://a.example) [me](mailto:me@example.org)'),
    ).toEqual([
      { type: 'link', href: 'https://example.org/d', showTarget: true, children: [{ type: 'text', text: 'docs' }] },
      { type: 'text', text: ' ' },
      {
        type: 'link',
        href: 'https://a.example',
        showTarget: false,
        children: [{ type: 'text', text: 'https://a.example' }],
      },
      { type: 'text', text: ' ' },
      { type: 'link', href: 'mailto:me@example.org', showTarget: true, children: [{ type: 'text', text: 'me' }] },
    ]);
  });

  it('links bare http(s) addresses in text', () => {
    expect(inline('see http://example.org/x.')).toEqual([
      { type: 'text', text: 'see ' },
      {
        type: 'link',
        href: 'http://example.org/x',
        showTarget: false,
        children: [{ type: 'text', text: 'http://example.org/x' }],
      },
      { type: 'text', text: '.' },
    ]);
  });

  it('leaves headings, images and rules as text', () => {
    expect(textOf(formatMessage('# not a heading'))).toBe('# not a heading');
    expect(textOf(formatMessage('![alt](https://example.org/i.png)'))).toBe('!alt');
    expect(textOf(formatMessage('---'))).toBe('---');
  });
});

describe('hostile input', () => {
  it('shows raw HTML as text', () => {
    const nodes = formatMessage('<img src=x onerror=alert(1)><script>alert(2)</script>');
    expect(tagsIn(nodes)).toEqual(['p', 'text']);
    expect(textOf(nodes)).toBe('<img src=x onerror=alert(1)><script>alert(2)</script>');
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<b>x</b>',
    'vbscript:x',
    'file:///etc/passwd',
  ])('makes no link of %s', (target) => {
    const nodes = formatMessage(`[click](${target}) <${target}>`);
    expect(tagsIn(nodes)).not.toContain('a');
  });

  it('bounds deeply nested quotes and lists', () => {
    const quotes = formatMessage('>'.repeat(5000) + ' deep');
    const lists = formatMessage(Array.from({ length: 500 }, (_, i) => `${'  '.repeat(i)}- item`).join('\n'));
    expect(depth(quotes)).toBeLessThanOrEqual(22);
    expect(depth(lists)).toBeLessThanOrEqual(22);
    expect(textOf(quotes)).toContain('deep');
    expect(textOf(lists)).toContain('- item');
  });

  it('renders a 10,000-character line as one text', () => {
    const line = 'a'.repeat(10_000);
    expect(inline(line)).toEqual([{ type: 'text', text: line }]);
    expect(textOf(formatMessage('*'.repeat(10_000)))).toHaveLength(10_000);
  });
});

describe('messages as typed', () => {
  it('shows a message as typed when formatting is off: one paragraph, marks kept, addresses still links', () => {
    const text = '**not bold**\n> not a quote at https://example.org/a';
    expect(plainMessage(text)).toEqual([
      {
        type: 'element',
        tag: 'p',
        children: [
          { type: 'text', text: '**not bold**\n> not a quote at ' },
          {
            type: 'link',
            href: 'https://example.org/a',
            children: [{ type: 'text', text: 'https://example.org/a' }],
            showTarget: false,
          },
        ],
      },
    ]);
    expect(textOf(plainMessage(text))).toBe(text);
  });
});
