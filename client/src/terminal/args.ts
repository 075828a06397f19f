// The command line: what to join, how, and for how long.
import { parseArgs } from 'node:util';
import { isValidName, maxNameLength } from '../lib/envelope-fields.ts';
import { parseTtl, ttlChoices, type Ttl } from '../lib/ttl.ts';

export const defaultRelay = 'http://localhost:8080';

export interface CliOptions {
  /** Make a new private room, instead of joining one. */
  create: boolean;
  /** A room link or a room name; undefined when it must come from the environment or a prompt. */
  target: string | undefined;
  /** Where a bare room name or a new room lives. */
  relay: string;
  pipe: boolean;
  json: boolean;
  /** How long to stay once everything is sent; Infinity for as long as the program runs. */
  stayMs: number;
  name: string | undefined;
  ttl: Ttl | undefined;
  help: boolean;
}

export type ParsedArgs = { ok: true; options: CliOptions } | { ok: false; error: string };

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90", "30s", "10m", "1h30m" or "forever" in milliseconds; undefined if it is none of them. A bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  if (text === 'forever') return Infinity;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0);
}

/** Reads argv (without node and the script) and the environment. */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        relay: { type: 'string' },
        pipe: { type: 'boolean' },
        json: { type: 'boolean' },
        stay: { type: 'string' },
        name: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  const create = positionals[0] === 'create';
  const rest = create ? positionals.slice(1) : positionals;
  if (rest.length > 1) return { ok: false, error: 'give one room link or room name (quote a name with spaces)' };
  if (create && rest.length > 0) return { ok: false, error: 'create makes a new room; it takes no link or name' };
  const stayMs = values.stay === undefined ? 0 : parseDuration(values.stay);
  if (stayMs === undefined) return { ok: false, error: `--stay takes a duration such as 30s, 10m, 1h or forever` };
  if (values.name !== undefined && !isValidName(values.name)) {
    return { ok: false, error: `--name takes a name of 1 to ${maxNameLength} characters` };
  }
  const ttl = values.ttl === undefined ? undefined : parseTtl(values.ttl);
  if (values.ttl !== undefined && ttl === undefined) {
    return { ok: false, error: `--ttl takes one of ${ttlChoices.map((choice) => choice.short).join(', ')}` };
  }
  return {
    ok: true,
    options: {
      create,
      target: rest[0] ?? (create ? undefined : env.ONETIMECHAT_LINK || undefined),
      relay: values.relay ?? (env.ONETIMECHAT_RELAY || defaultRelay),
      pipe: values.pipe ?? false,
      json: values.json ?? false,
      stayMs,
      name: values.name,
      ttl,
      help: values.help ?? false,
    },
  };
}

export const helpText = `onetimechat: end-to-end encrypted, ephemeral chat rooms, from a terminal

Usage:
  onetimechat <room link or room name> [options]
  onetimechat create [--relay URL] [options]
  onetimechat [options]              asks for the link (not echoed)

The link can also come from the ONETIMECHAT_LINK environment variable. A link
given as an argument shows up in process listings and shell history; the
variable or the prompt keep it out of both.

A room name (not a link) is looked up on --relay, or ONETIMECHAT_RELAY, or
${defaultRelay}. A named room is only as private as its name is hard to guess.

Options:
  --relay URL        the relay for room names and new rooms
  --name NAME        your name in the room (otherwise the remembered one, or a random one)
  --ttl off|1m|10m|1h|24h   how long your messages live
  --pipe             script mode (also when stdin is not a terminal): every line of
                     stdin is sent as a message; every message of the room is printed
                     as one line, "time name #tag: text"
  --json             in script mode, print one JSON object per message instead
  --stay DURATION    in script mode, stay this long after stdin ends and everything
                     sent was delivered (30s, 10m, 1h, forever); default 0
  -h, --help         this text

A message lives only as long as its author stays in the room. A piped message
vanishes as soon as the program exits, so use --stay (for example --stay 10m) for
a message someone must still read.

Exit codes:
  0  done          2  bad arguments or link    3  relay unreachable
  4  room full     5  relay refused the connection (origin or limits)
  1  anything else
`;
