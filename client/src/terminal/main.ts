// The terminal client's entry: read the command line, find the room, then
// run the interactive screen or script mode on the client core.
import { emitKeypressEvents } from 'node:readline';
import { newRoomSecret } from '../lib/crypto.ts';
import { randomFriendlyName } from '../lib/names.ts';
import { loadPreferences, savePreference } from '../lib/preferences.ts';
import type { Ttl } from '../lib/ttl.ts';
import { helpText, parseCommandLine, type CliOptions } from './args.ts';
import { ExitCode, type Outcome } from './exit-codes.ts';
import { filePreferenceStorage, preferencesPath } from './file-preferences.ts';
import { InteractiveClient } from './interactive.ts';
import { LineEditor, type Key } from './line-editor.ts';
import { MessagePrinter, runPipe } from './pipe.ts';
import { leaveRoom, openRoom, type OpenedRoom } from './room.ts';
import type { ColorDepth } from './screen.ts';
import { linkOf, resolveTarget, type RoomTarget } from './target.ts';

function fail({ code, message }: Outcome): never {
  process.stderr.write(`onetimechat: ${message}\n`);
  process.exit(code);
}

/** Reads a line from the terminal without echoing it, for a room link kept out of shell history. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(question);
  const editor = new LineEditor();
  emitKeypressEvents(stdin);
  stdin.setRawMode(true);
  return new Promise((resolve) => {
    const onKey = (text: string | undefined, key: Key | undefined): void => {
      if (key?.ctrl && key.name === 'c') fail({ code: ExitCode.usage, message: 'no room link given' });
      if (editor.press(text, key ?? {}) !== 'submit') return;
      stdin.setRawMode(false);
      stdin.off('keypress', onKey);
      stdin.pause();
      stderr.write('\n');
      resolve(editor.take());
    };
    stdin.on('keypress', onKey);
  });
}

async function findRoom(options: CliOptions, interactive: boolean): Promise<RoomTarget> {
  if (options.create) {
    const resolved = await resolveTarget(newRoomSecret(), options.relay);
    if (!resolved.ok) fail({ code: ExitCode.usage, message: resolved.error });
    return resolved.target;
  }
  const typed = options.target ?? (interactive ? await promptHidden('Room link or name: ') : undefined);
  if (typed === undefined) {
    fail({
      code: ExitCode.usage,
      message: 'no room link given (an argument, ONETIMECHAT_LINK, or a terminal to ask on)',
    });
  }
  const resolved = await resolveTarget(typed, options.relay);
  if (!resolved.ok) fail({ code: ExitCode.usage, message: resolved.error });
  return resolved.target;
}

function colorDepth(): ColorDepth {
  if (process.env.NO_COLOR || !process.stdout.isTTY) return 'none';
  return /truecolor|24bit/i.test(process.env.COLORTERM ?? '') ? 'truecolor' : '256';
}

async function main(): Promise<void> {
  const parsed = parseCommandLine(process.argv.slice(2), process.env);
  if (!parsed.ok) fail({ code: ExitCode.usage, message: `${parsed.error} (see --help)` });
  const { options } = parsed;
  if (options.help) {
    process.stdout.write(helpText);
    return;
  }
  const interactive = !options.pipe && Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const storage = filePreferenceStorage(preferencesPath(process.env));
  const stored = await loadPreferences(storage);
  const target = await findRoom(options, Boolean(process.stdin.isTTY));
  const preferred = {
    name: options.name ?? stored.nickname ?? randomFriendlyName(),
    ttl: options.ttl ?? stored.ttl,
    setNickname(name: string) {
      preferred.name = name;
      void savePreference(storage, 'nickname', name);
    },
    setTtl(ttl: Ttl) {
      preferred.ttl = ttl;
      void savePreference(storage, 'ttl', ttl);
    },
  };
  if (interactive) return runInteractive(target, preferred, options.create);
  return runScript(target, preferred, options);
}

async function runInteractive(
  target: RoomTarget,
  preferred: ConstructorParameters<typeof InteractiveClient>[2],
  showLink: boolean,
): Promise<void> {
  // The screen exists once the room is open; changes before that are drawn with its first frame.
  let redraw = (): void => {};
  const opened = await openRoom(target, preferred.name, { onChange: () => redraw() });
  if (!opened.ok) fail(opened.outcome);
  const client = new InteractiveClient(
    opened.room,
    { input: process.stdin, output: process.stdout, depth: colorDepth() },
    preferred,
  );
  redraw = client.callbacks.onChange;
  await client.run(showLink);
  process.exit(ExitCode.ok);
}

async function runScript(
  target: RoomTarget,
  preferred: { name: string; ttl: Ttl },
  options: CliOptions,
): Promise<void> {
  let print = (): void => {};
  const opened = await openRoom(target, preferred.name, { onChange: () => print() });
  if (!opened.ok) fail(opened.outcome);
  const room: OpenedRoom = opened.room;
  // Only `create` prints the secret: the person asked for a new room's link.
  if (options.create) process.stderr.write(`onetimechat: room link: ${linkOf(target)}\n`);
  const printer = new MessagePrinter(room, { json: options.json, output: process.stdout });
  print = () => printer.print();
  print();
  const leave = async (code: number): Promise<never> => {
    await leaveRoom(room);
    process.exit(code);
  };
  process.on('SIGINT', () => void leave(130));
  process.on('SIGTERM', () => void leave(143));
  const code = await runPipe(room, { ...options, ttl: preferred.ttl, input: process.stdin, errors: process.stderr });
  await leave(code);
}

main().catch((error: unknown) => {
  process.stderr.write(`onetimechat: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(ExitCode.failed);
});
