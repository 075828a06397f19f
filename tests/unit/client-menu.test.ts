import { describe, expect, it } from 'vitest';
import { menuKey } from '../../client/src/lib/menu.ts';

describe('menu keys', () => {
  it('opens from the button on the first item with Arrow down and on the last with Arrow up', () => {
    expect(menuKey('ArrowDown', false, -1, 2)).toEqual({ focus: 0 });
    expect(menuKey('ArrowUp', false, -1, 2)).toEqual({ focus: 1 });
  });

  it('moves through the items with wrapping arrows, Home and End', () => {
    expect(menuKey('ArrowDown', true, 0, 3)).toEqual({ focus: 1 });
    expect(menuKey('ArrowDown', true, 2, 3)).toEqual({ focus: 0 });
    expect(menuKey('ArrowUp', true, 0, 3)).toEqual({ focus: 2 });
    expect(menuKey('Home', true, 2, 3)).toEqual({ focus: 0 });
    expect(menuKey('End', true, 0, 3)).toEqual({ focus: 2 });
  });

  it('closes an open menu with Escape or Tab, from an item or from its button', () => {
    expect(menuKey('Escape', true, 1, 2)).toBe('close');
    expect(menuKey('Escape', true, -1, 2)).toBe('close');
    expect(menuKey('Tab', true, 0, 2)).toBe('close');
  });

  it('leaves every other key, and keys on a closed menu other than the arrows, alone', () => {
    for (const key of ['Enter', ' ', 'a', 'Escape', 'Tab', 'Home', 'End'])
      expect(menuKey(key, false, -1, 2)).toBe(undefined);
    for (const key of ['Enter', ' ', 'a']) expect(menuKey(key, true, 0, 2)).toBe(undefined);
    expect(menuKey('ArrowDown', true, 0, 0)).toBe(undefined);
  });
});
