// Script mode: lines in, messages out, and an exit once everything sent has
// been delivered (or later, with --stay). Messages vanish when their author
// leaves, so what this mode sends lives only while it runs.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isPending } from '../lib/chat/history.ts';
import { ExitCode, type ExitCode as Code } from './exit-codes.ts';
import { messageJson, messageLine } from './format.ts';
import type { OpenedRoom } from './room.ts';
import type { Ttl } from '../lib/ttl.ts';

export interface PipeOptions {
  stayMs: number;
  ttl: Ttl;
  input: Readable;
  errors: Writable;
}

export interface PrintOptions {
  json: boolean;
  output: Writable;
}

/** Prints each delivered message once, in the room's order. */
export class MessagePrinter {
  readonly #printed = new Set<string>();

  constructor(
    readonly room: OpenedRoom,
    readonly options: PrintOptions,
  ) {}

  print(): void {
    const { session } = this.room;
    const format = this.options.json ? messageJson : messageLine;
    const alive = new Set<string>();
    for (const entry of session.history.entries()) {
      if (entry.kind !== 'message' || isPending(entry)) continue;
      alive.add(entry.id);
      if (this.#printed.has(entry.id)) continue;
      this.#printed.add(entry.id);
      this.options.output.write(
        format(entry, { nameOf: (peer) => session.nameOf(peer), selfId: session.selfId }) + '\n',
      );
    }
    // Only what is still in the room is remembered, so the set is bounded by the room's history.
    for (const id of this.#printed) if (!alive.has(id)) this.#printed.delete(id);
  }
}

/**
 * Sends every line of input, prints the room, and resolves with the exit
 * code once input has ended, every line was delivered and the stay is over.
 */
export async function runPipe(room: OpenedRoom, options: PipeOptions): Promise<Code> {
  const { session } = room;
  let failed = false;
  const lines = createInterface({ input: options.input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const error = await session.send(line, { ttl: options.ttl });
    if (error) {
      failed = true;
      options.errors.write(`onetimechat: ${error}\n`);
    }
  }
  const delivered = await allDelivered(room);
  if (!delivered) {
    options.errors.write('onetimechat: the relay closed the connection before everything was delivered\n');
    return ExitCode.failed;
  }
  if (options.stayMs > 0) await stay(options.stayMs);
  return failed ? ExitCode.failed : ExitCode.ok;
}

/** Resolves true once no own message waits for its echo, false if the connection closes for good first. */
function allDelivered({ session }: OpenedRoom): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (session.state === 'closed') return resolve(false);
      if (session.history.pending().length === 0) return resolve(true);
      setTimeout(check, 50);
    };
    check();
  });
}

/** setTimeout waits at most this long. */
const longestTimer = 2 ** 31 - 1;

/** Waits `ms`, which may be Infinity: until a signal ends the program. */
async function stay(ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= longestTimer) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, longestTimer)));
  }
}
