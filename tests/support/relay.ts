import { spawn, type ChildProcess } from 'node:child_process';
import { relayNode } from '../../scripts/runtime.mjs';

export interface RunningRelay {
  port: number;
  httpUrl: string;
  wsUrl(room: string): string;
  /** Everything the relay printed so far, stdout and stderr. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  process: ChildProcess;
}

const relayEntry = 'dist/server/relay/main.js';

/**
 * Starts the built relay, or another script that prints the same listening
 * line (the benchmark's comparison relays), as its own process on a free loopback port.
 */
export async function startRelay(env: Record<string, string> = {}, entry = relayEntry): Promise<RunningRelay> {
  const child = spawn(relayNode(), [entry], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${output}`)), 10_000);
    const onData = (): void => {
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`relay exited with ${code}:\n${output}`)));
  });

  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: (room) => `ws://127.0.0.1:${port}/ws/${room}`,
    output: () => output,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    process: child,
  };
}
