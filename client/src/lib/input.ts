// What the message box does, in every front end: a message goes out with the
// chosen lifetime, a command runs, a mistake is explained in the history.
// Where the front ends differ (moving between rooms, remembering preferences)
// they answer through the host.
import { parseInput, type Command } from './commands.ts';
import { helpText, whoText } from './describe.ts';
import type { Navigation } from './navigation.ts';
import type { RoomSession } from './room.ts';
import { ttlLabel, type Ttl } from './ttl.ts';

export interface InputHost {
  readonly session: RoomSession;
  readonly navigation: Navigation;
  /** How long new messages live. */
  ttl(): Ttl;
  setNickname(name: string): void;
  setTtl(ttl: Ttl): void;
  /** A message is about to go out, e.g. to scroll to the bottom. */
  sending?(): void;
  /** The message the next message answers, if one was chosen; asked once per message sent. */
  reply?(): string | undefined;
  /** Lines for /help that only this front end has. */
  extraHelp?: readonly [string, string][];
}

export function submitInput(raw: string, host: InputHost): void {
  const input = parseInput(raw);
  switch (input.type) {
    case 'message':
      void sendMessage(host, input.text);
      return;
    case 'command':
      runCommand(input.command, host);
      return;
    case 'error':
      host.session.note({ type: 'error', text: input.message });
      return;
    case 'empty':
      return;
  }
}

async function sendMessage(host: InputHost, text: string, action = false): Promise<void> {
  host.sending?.();
  const error = await host.session.send(text, { action, ttl: host.ttl(), reply: host.reply?.() });
  if (error) host.session.note({ type: 'error', text: error });
}

function runCommand(command: Command, host: InputHost): void {
  const { session, navigation } = host;
  switch (command.name) {
    case 'help':
      return session.note({ type: 'info', text: helpText(host.extraHelp) });
    case 'nick':
      host.setNickname(command.nick);
      void session.rename(command.nick);
      return;
    case 'create':
      return navigation.create();
    case 'join':
      void navigation.join(command.target);
      return;
    case 'leave':
      return navigation.leave();
    case 'clear':
      return session.clearView();
    case 'ttl':
      host.setTtl(command.ttl);
      return session.note({ type: 'info', text: `Your messages now disappear after: ${ttlLabel(command.ttl)}` });
    case 'me':
      void sendMessage(host, command.action, true);
      return;
    case 'who': {
      const others = [...session.peers].map((peer) => session.nameOf(peer));
      return session.note({ type: 'info', text: whoText(session.name, others) });
    }
  }
}
