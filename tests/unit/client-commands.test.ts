import { describe, expect, it } from 'vitest';
import { parseInput } from '../../client/src/lib/commands.ts';

describe('message box input', () => {
  it('sends plain text as a message, keeping inner lines', () => {
    expect(parseInput('hello')).toEqual({ type: 'message', text: 'hello' });
    expect(parseInput('line one\nline two\n')).toEqual({ type: 'message', text: 'line one\nline two' });
    expect(parseInput('   ')).toEqual({ type: 'empty' });
  });

  it('sends a message starting with a slash when it is doubled', () => {
    expect(parseInput('//shrug')).toEqual({ type: 'message', text: '/shrug' });
  });

  it('parses every command', () => {
    expect(parseInput('/help')).toEqual({ type: 'command', command: { name: 'help' } });
    expect(parseInput('/nick  Blue   Heron ')).toEqual({
      type: 'command',
      command: { name: 'nick', nick: 'Blue Heron' },
    });
    expect(parseInput('/create')).toEqual({ type: 'command', command: { name: 'create' } });
    expect(parseInput('/join our garden')).toEqual({
      type: 'command',
      command: { name: 'join', target: 'our garden' },
    });
    expect(parseInput('/leave')).toEqual({ type: 'command', command: { name: 'leave' } });
    expect(parseInput('/clear')).toEqual({ type: 'command', command: { name: 'clear' } });
    expect(parseInput('/ttl 10m')).toEqual({ type: 'command', command: { name: 'ttl', ttl: 600_000 } });
    expect(parseInput('/ttl 1 hour')).toEqual({ type: 'command', command: { name: 'ttl', ttl: 3_600_000 } });
    expect(parseInput('/ttl off')).toEqual({ type: 'command', command: { name: 'ttl', ttl: 0 } });
    expect(parseInput('/me waves hello')).toEqual({ type: 'command', command: { name: 'me', action: 'waves hello' } });
    expect(parseInput('/WHO')).toEqual({ type: 'command', command: { name: 'who' } });
  });

  it('explains what is wrong, locally', () => {
    const error = (text: string): string => {
      const input = parseInput(text);
      if (input.type !== 'error') throw new Error(`expected an error for ${text}`);
      return input.message;
    };
    expect(error('/dance')).toMatch(/unknown command \/dance.*\/help/);
    expect(error('/nick')).toMatch(/needs a name.*\/nick/);
    expect(error(`/nick ${'x'.repeat(40)}`)).toMatch(/1 to 32 visible/);
    expect(error('/ttl forever')).toMatch(/one of off, 1m, 10m, 1h, 24h/);
    expect(error('/ttl')).toMatch(/needs one of/);
    expect(error('/me')).toMatch(/needs an action/);
    expect(error('/join')).toMatch(/needs a room name or a link/);
    expect(error('/help me')).toMatch(/takes no argument/);
  });
});
