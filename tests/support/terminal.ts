// The built terminal client in tests: run in script mode with given stdin, or
// started in a real pseudo-terminal under tmux and read back from its screen.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './wait.ts';

export const cliEntry = 'dist/cli/client/src/terminal/main.js';

/** Its own config directory, so tests never read or write the user's preferences. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'onetimechat-cli-')), NO_COLOR: '1', ...extra };
}

export interface CliRun {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Writes to stdin; `end` closes it. */
  write(text: string): void;
  end(): void;
}

/** Starts the client with piped stdin, stdout and stderr. */
export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [cliEntry, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    write: (text) => child.stdin.write(text),
    end: () => child.stdin.end(),
  };
}

/** Waits until `read()` satisfies `done`, polling; throws with what was read after `ms`. */
export async function waitFor(read: () => string, done: (text: string) => boolean, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = read();
    if (done(text)) return text;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms; last seen:\n${text}`);
    await sleep(50);
  }
}

/** The terminal client in a tmux pane of a fixed size, on a tmux server of its own. */
export class TmuxClient {
  readonly #socket = `onetimechat-test-${process.pid}-${Math.random().toString(36).slice(2)}`;

  private constructor() {}

  static start(args: string[], size = { columns: 100, rows: 30 }): TmuxClient {
    const client = new TmuxClient();
    const env = cliEnv();
    const command = [process.execPath, cliEntry, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
    client.#tmux(['new-session', '-d', '-x', String(size.columns), '-y', String(size.rows), '-s', 'cli', command], env);
    client.#tmux(['set-option', '-t', 'cli', 'remain-on-exit', 'on']);
    return client;
  }

  #tmux(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { env, encoding: 'utf8' });
  }

  /** The visible screen, one string per row. */
  screen(): string {
    return this.#tmux(['capture-pane', '-p', '-t', 'cli']);
  }

  /** Waits until the screen shows `text`. */
  waitFor(text: string, ms = 10_000): Promise<string> {
    return waitFor(
      () => this.screen(),
      (screen) => screen.includes(text),
      ms,
    );
  }

  /** Types a line and presses Enter. */
  type(line: string): void {
    this.#tmux(['send-keys', '-t', 'cli', '-l', line]);
    this.#tmux(['send-keys', '-t', 'cli', 'Enter']);
  }

  keys(...keys: string[]): void {
    this.#tmux(['send-keys', '-t', 'cli', ...keys]);
  }

  resize(columns: number, rows: number): void {
    this.#tmux(['resize-window', '-t', 'cli', '-x', String(columns), '-y', String(rows)]);
  }

  /** The pane's title, which a program sets with OSC 0 or 2. */
  title(): string {
    return this.#tmux(['display-message', '-p', '-t', 'cli', '#{pane_title}']);
  }

  /** Whether the program in the pane has exited. */
  exited(): boolean {
    return this.#tmux(['display-message', '-p', '-t', 'cli', '#{pane_dead}']).trim() === '1';
  }

  kill(): void {
    try {
      this.#tmux(['kill-server']);
    } catch {
      // Already gone.
    }
  }
}
