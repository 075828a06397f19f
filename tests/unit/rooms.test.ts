import { describe, expect, it } from 'vitest';
import { Rooms } from '../../relay/rooms.ts';

describe('Rooms', () => {
  it('returns the peers already present to each joiner', () => {
    const rooms = new Rooms<string>(10);
    expect(rooms.join('r', 'a', 'conn-a')).toEqual([]);
    expect(rooms.join('r', 'b', 'conn-b')).toEqual(['a']);
    expect(rooms.join('r', 'c', 'conn-c')).toEqual(['a', 'b']);
    expect(rooms.find('r', 'b')).toBe('conn-b');
  });

  it('keeps rooms apart', () => {
    const rooms = new Rooms<string>(10);
    rooms.join('r1', 'a', 'conn-a');
    expect(rooms.join('r2', 'b', 'conn-b')).toEqual([]);
    expect(rooms.find('r1', 'b')).toBeUndefined();
    expect(rooms.find('r2', 'a')).toBeUndefined();
  });

  it('turns away the joiner past the limit without changing the room', () => {
    const rooms = new Rooms<string>(2);
    rooms.join('r', 'a', 'conn-a');
    rooms.join('r', 'b', 'conn-b');
    expect(rooms.join('r', 'c', 'conn-c')).toBeUndefined();
    expect(rooms.size('r')).toBe(2);
    expect(rooms.find('r', 'c')).toBeUndefined();
  });

  it('forgets a room as soon as its last peer leaves', () => {
    const rooms = new Rooms<string>(10);
    rooms.join('r', 'a', 'conn-a');
    rooms.join('r', 'b', 'conn-b');
    expect(rooms.leave('r', 'a')).toBe(true);
    expect(rooms.roomCount).toBe(1);
    expect(rooms.leave('r', 'b')).toBe(true);
    expect(rooms.roomCount).toBe(0);
    expect(rooms.leave('r', 'b')).toBe(false);
  });

  it('lists every connection of every room', () => {
    const rooms = new Rooms<string>(10);
    rooms.join('r1', 'a', 'conn-a');
    rooms.join('r2', 'b', 'conn-b');
    expect([...rooms.connections()].sort()).toEqual(['conn-a', 'conn-b']);
  });
});
