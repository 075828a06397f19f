// Processes of the benchmark: relays and the load generator, each pinned to
// its core, their CPU time and memory read from /proc, and all of them
// killed when the benchmark ends, however it ends.
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { relayNode } from '../../scripts/runtime.mjs';

/** The relays run on this core, the load generator on the other. */
export const relayCpu = 1;
export const generatorCpu = 0;
/**
 * Open files allowed to each relay: room for 50,000 idle sockets and more
 * where the host lets us raise the limit, else the host's hard limit (a
 * container without CAP_SYS_RESOURCE cannot go past it).
 */
export const relayFileLimit = fileLimit(200_000);

function fileLimit(wanted: number): number {
  if (spawnSync('prlimit', [`--nofile=${wanted}:${wanted}`, 'true']).status === 0) return wanted;
  const hard = execFileSync('prlimit', ['--pid', String(process.pid), '--nofile', '--output=HARD', '--noheadings']);
  return Number(hard.toString().trim());
}

const children = new Set<ChildProcess>();
/** Processes started by others' code (redis-server), killed at exit too. */
const adopted = new Set<number>();

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of adopted) killQuietly(pid);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Kills `pid` when the benchmark ends, unless `release` is called first. */
export function killAtExit(pid: number): { release(): void } {
  adopted.add(pid);
  return { release: () => adopted.delete(pid) };
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Spawns `command` pinned to `cpu`, with `files` open files allowed; killed at exit. */
export function spawnPinned(
  cpu: number,
  files: number,
  command: string,
  args: string[],
  options: SpawnOptions,
): ChildProcess {
  // prlimit and taskset both exec the command, so the child's pid is the command's own.
  const child = spawn(
    'prlimit',
    [`--nofile=${files}:${files}`, 'taskset', '-c', String(cpu), command, ...args],
    options,
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export interface RelayProcess {
  port: number;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a relay script under the uWebSockets.js-capable node; resolves once it prints where it listens. */
export async function startRelayProcess(script: string, env: Record<string, string>): Promise<RelayProcess> {
  const child = spawnPinned(relayCpu, relayFileLimit, relayNode(), [script], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output}`)), 15_000);
    child.stdout!.on('data', () => {
      const match = /listening on http:\/\/[^:\s]+:(\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
    void exited.then(() => reject(new Error(`${script} exited:\n${output}`)));
  });
  return {
    port,
    pid: child.pid!,
    output: () => output,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User plus system CPU time of a process so far, in milliseconds (resolution 1/CLK_TCK). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

/** The pid of the redis-server listening on `port` (it names its address in its title). */
export function redisPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (name === 'redis-server' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`:${port}`)) {
        return Number(entry);
      }
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no redis-server found on port ${port}`);
}

/** Moves a running process to `cpu`. */
export function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}
