import { describe, expect, it } from 'vitest';
import { Unread } from '../../client/src/lib/attention.ts';
import { mentionChoices, mentionQuery, mentions } from '../../client/src/lib/conversation/mentions.ts';

describe('unread counting', () => {
  it('counts only while away, mentions apart, and resets on return', () => {
    const unread = new Unread();
    expect(unread.arrived('m0', false)).toBe(false);
    unread.away(true);
    unread.arrived('m1', false);
    unread.arrived('m2', true);
    unread.arrived('m3', false);
    expect(unread.title('onetimechat')).toBe('(3, @1) onetimechat');
    expect(unread.firstId).toBe('m1');
    unread.away(false);
    expect(unread.title('onetimechat')).toBe('onetimechat');
    // The line stays where the unread messages started until the next time away.
    expect(unread.firstId).toBe('m1');
    unread.away(true);
    expect(unread.firstId).toBeUndefined();
    unread.arrived('m4', false);
    expect(unread.title('onetimechat')).toBe('(1) onetimechat');
  });
});

describe('mentions', () => {
  it('finds @name, also with spaces in the name, not inside a longer word', () => {
    expect(mentions('hi @Quiet Heron, look', 'Quiet Heron')).toBe(true);
    expect(mentions('@quiet heron', 'Quiet Heron')).toBe(true);
    expect(mentions('hi @Quiet Herons', 'Quiet Heron')).toBe(false);
    expect(mentions('hi Quiet Heron', 'Quiet Heron')).toBe(false);
    expect(mentions('mail a@Bob', '')).toBe(false);
  });

  it('offers the names that start with what follows the @', () => {
    expect(mentionQuery('hello @Qu')).toBe('Qu');
    expect(mentionQuery('hello @')).toBe('');
    expect(mentionQuery('mail me@ex')).toBeUndefined();
    expect(mentionChoices('qu', ['Quiet Heron', 'Sunny Fox', 'Quick Owl', 'Quiet Heron'])).toEqual([
      'Quiet Heron',
      'Quick Owl',
    ]);
  });
});
