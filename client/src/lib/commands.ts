// What the message box means: a message, or a command with its argument
// checked, or a helpful local error. Commands are never sent as messages.
import { isValidName, maxNameLength } from './envelope-fields.ts';
import { parseTtl, ttlChoices, type Ttl } from './ttl.ts';

export type Command =
  | { name: 'help' }
  | { name: 'nick'; nick: string }
  | { name: 'create' }
  | { name: 'join'; target: string }
  | { name: 'leave' }
  | { name: 'clear' }
  | { name: 'ttl'; ttl: Ttl }
  | { name: 'me'; action: string }
  | { name: 'who' };

export type Input =
  | { type: 'message'; text: string }
  | { type: 'command'; command: Command }
  | { type: 'error'; message: string }
  | { type: 'empty' };

export const commandHelp: readonly [string, string][] = [
  ['/help', 'show this list'],
  ['/nick <name>', 'change your name'],
  ['/me <action>', 'say what you are doing'],
  ['/who', 'list who is here'],
  ['/ttl <off|1m|10m|1h|24h>', 'how long your next messages live'],
  ['/create', 'open a new private room'],
  ['/join <name or link>', 'go to a room link, or a named room (only as private as its name is hard to guess)'],
  ['/leave', 'leave this room'],
  ['/clear', 'clear your view (others keep theirs)'],
];

const ttlSpellings = ttlChoices.map((choice) => choice.short).join(', ');

function needsArgument(command: string, argument: string, what: string): string | undefined {
  return argument ? undefined : `/${command} needs ${what}, for example: ${example[command]}`;
}

const example: Record<string, string> = {
  nick: '/nick Blue Heron',
  join: '/join our-secret-garden',
  ttl: '/ttl 10m',
  me: '/me waves',
};

function parseCommand(name: string, argument: string): Input {
  const command = (c: Command): Input => ({ type: 'command', command: c });
  const error = (message: string): Input => ({ type: 'error', message });
  const noArgument = (c: Command): Input =>
    argument ? error(`/${name} takes no argument; type /help for the list`) : command(c);
  switch (name) {
    case 'help':
    case 'create':
    case 'leave':
    case 'clear':
    case 'who':
      return noArgument({ name });
    case 'nick': {
      const missing = needsArgument(name, argument, 'a name');
      if (missing) return error(missing);
      const nick = argument.replace(/\s+/g, ' ');
      return isValidName(nick) ? command({ name, nick }) : error(`a name is 1 to ${maxNameLength} visible characters`);
    }
    case 'join': {
      const missing = needsArgument(name, argument, 'a room name or a link');
      return missing ? error(missing) : command({ name, target: argument });
    }
    case 'ttl': {
      const missing = needsArgument(name, argument, `one of ${ttlSpellings}`);
      if (missing) return error(missing);
      const ttl = parseTtl(argument);
      return ttl === undefined ? error(`/ttl takes one of ${ttlSpellings}, not "${argument}"`) : command({ name, ttl });
    }
    case 'me': {
      const missing = needsArgument(name, argument, 'an action');
      return missing ? error(missing) : command({ name, action: argument });
    }
    default:
      return error(
        `unknown command /${name}; type /help for the list (start with // to send a message beginning with /)`,
      );
  }
}

export function parseInput(raw: string): Input {
  const text = raw.trim();
  if (!text) return { type: 'empty' };
  if (text.startsWith('//')) return { type: 'message', text: text.slice(1) };
  if (!text.startsWith('/')) return { type: 'message', text: raw.replace(/^\s*\n|\s+$/g, '') };
  const [, name = '', argument = ''] = /^\/(\S*)\s*([\s\S]*)$/.exec(text) ?? [];
  return parseCommand(name.toLowerCase(), argument.trim());
}
