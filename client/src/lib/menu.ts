// Keyboard use of a small menu (the WAI-ARIA menu button pattern): which item
// a key moves to, or whether it closes the menu. Pure, so it is tested alone.

export type MenuMove = { focus: number } | 'close' | undefined;

/**
 * What `key` does in a menu of `count` items, `open` or not, whose item
 * `current` has focus (-1 while its button has). Arrows wrap; Enter and
 * Space are left to the button or item, both buttons.
 */
export function menuKey(key: string, open: boolean, current: number, count: number): MenuMove {
  if (count === 0) return undefined;
  switch (key) {
    case 'ArrowDown':
      return { focus: current < 0 ? 0 : (current + 1) % count };
    case 'ArrowUp':
      return { focus: current < 0 ? count - 1 : (current - 1 + count) % count };
    case 'Home':
      return open ? { focus: 0 } : undefined;
    case 'End':
      return open ? { focus: count - 1 } : undefined;
    case 'Escape':
    case 'Tab':
      return open ? 'close' : undefined;
    default:
      return undefined;
  }
}
