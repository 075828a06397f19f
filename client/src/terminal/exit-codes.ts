// Exit codes and the one line said on stderr for each way of failing.
import type { Failure } from './node-socket.ts';

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  roomFull: 4,
  refused: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface Outcome {
  code: ExitCode;
  message: string;
}

const refusals: Record<number, string> = {
  400: 'the relay refused the room address',
  403: 'the relay refused this client (its origin is not allowed there)',
  429: 'the relay refused: too many connections from this address',
  503: 'the relay is full or stopping',
};

export function failureOutcome(failure: Failure | undefined): Outcome {
  switch (failure?.kind) {
    case 'room-full':
      return { code: ExitCode.roomFull, message: 'the room is full' };
    case 'refused':
      return {
        code: ExitCode.refused,
        message: refusals[failure.status] ?? `the relay refused the connection (HTTP ${failure.status})`,
      };
    case 'unreachable':
    case undefined:
      return { code: ExitCode.unreachable, message: 'the relay cannot be reached' };
  }
}
