import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { redisServerPath } from '../../scripts/host-tools.mjs';

export interface RunningRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Stops the server and starts a new, empty one on the same port. */
  restart(downMs?: number): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function launch(port: number): Promise<ChildProcess> {
  // Persistence off: nothing the relays route is ever written to disk.
  const child = spawn(
    redisServerPath,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A real redis-server on a free loopback port, with persistence off. */
export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  let child = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => kill(child),
    restart: async (downMs = 0) => {
      await kill(child);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      child = await launch(port);
    },
  };
}
