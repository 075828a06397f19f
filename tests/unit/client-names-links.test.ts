import { describe, expect, it } from 'vitest';
import { linkify, roomLink, secretFromHash, secretFromLink } from '../../client/src/lib/links.ts';
import {
  authorColor,
  authorColorCount,
  authorTag,
  friendlyName,
  randomFriendlyName,
} from '../../client/src/lib/names.ts';

describe('names', () => {
  it('makes friendly adjective + animal names', () => {
    expect(friendlyName(0, 0)).toBe('Amber Badger');
    expect(friendlyName(0.999, 0.999)).toBe('Cosy Yak');
    expect(randomFriendlyName()).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
  });

  it('gives each relay id a stable color and tag, different for different ids', () => {
    const ids = Array.from({ length: 64 }, (_, i) => `${i.toString(16).padStart(8, '0')}-1111-4111-8111-111111111111`);
    expect(authorTag(ids[0]!)).toBe(authorTag(ids[0]!));
    expect(authorTag(ids[0]!)).toMatch(/^#[0-9a-f]{4}$/);
    expect(new Set(ids.map(authorTag)).size).toBeGreaterThan(60);
    const colors = new Set(ids.map(authorColor));
    expect(colors.size).toBe(authorColorCount);
  });
});

describe('links', () => {
  const secret = 'AAECAwQFBgcICQoLDA0ODw';

  it('reads a room secret from the fragment, a link or a bare secret', () => {
    expect(secretFromHash(`#${secret}`)).toBe(secret);
    expect(secretFromHash('#short')).toBeUndefined();
    expect(secretFromHash('')).toBeUndefined();
    expect(secretFromLink(roomLink('https://chat.example', secret))).toBe(secret);
    expect(secretFromLink(` ${secret} `)).toBe(secret);
    expect(secretFromLink('our garden')).toBeUndefined();
  });

  it('finds http and https links, leaving sentence punctuation out', () => {
    expect(linkify('see https://example.org/a?b=1, and http://x.test.')).toEqual([
      { text: 'see ' },
      { text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { text: ', and ' },
      { text: 'http://x.test', href: 'http://x.test' },
      { text: '.' },
    ]);
  });

  it('never makes links of other schemes', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', '<a href="http://x">y</a>']) {
      const parts = linkify(text);
      expect(parts.every((part) => part.href === undefined || /^https?:\/\//.test(part.href))).toBe(true);
      expect(parts.map((part) => part.text).join('')).toBe(text);
    }
  });
});
