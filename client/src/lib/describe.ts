// The words both front ends show for the room's events, so the page and the
// terminal say the same things.
import type { PeerId } from '../../../protocol/index.ts';
import type { Notice } from './chat/history.ts';
import { commandHelp } from './commands.ts';
import type { ConnectionState } from './connection.ts';
import { authorTag } from './names.ts';

export const connectionLabel: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

export function noticeText(notice: Notice, nameOf: (peer: PeerId) => string, selfId: PeerId | undefined): string {
  // With its tag, so that someone who takes another's name is still told apart.
  const tagged = (peer: PeerId): string => `${nameOf(peer)} (${authorTag(peer)})`;
  switch (notice.type) {
    case 'joined':
      return `${tagged(notice.peer)} joined`;
    case 'left':
      return notice.vanished
        ? `${tagged(notice.peer)} left, and their messages vanished`
        : `${tagged(notice.peer)} left`;
    case 'renamed':
      return notice.peer === selfId ? `You are now called ${notice.to}` : `${notice.from} is now called ${notice.to}`;
    case 'info':
    case 'error':
      return notice.text;
  }
}

/** "Ada is typing…", from the names of who is typing; empty when nobody is. */
export function typingText(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

/** The command list, with the commands only one front end has. */
export function helpText(extra: readonly [string, string][] = []): string {
  return [...commandHelp, ...extra].map(([usage, meaning]) => `${usage} — ${meaning}`).join('\n');
}

/** The answer to /who. */
export function whoText(self: string, others: readonly string[]): string {
  return `Here now (${others.length + 1}): ${[`${self} (you)`, ...others].join(', ')}`;
}
