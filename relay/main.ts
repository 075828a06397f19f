// Entry point: read the configuration, load uWebSockets.js, serve, and stop
// cleanly on SIGTERM or SIGINT. The only log lines are the start line and errors.
import { readFileSync } from 'node:fs';
import { v4 as uuidv4 } from 'uuid';
import { RedisCluster } from './cluster.ts';
import { readConfig } from './config.ts';
import { startServer } from './server.ts';

const shutdownDeadlineMs = 4000;

type Uws = typeof import('uWebSockets.js');

function version(): string {
  const packageJson = new URL('../../../package.json', import.meta.url);
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function loadUws(): Promise<Uws> {
  try {
    return (await import('uWebSockets.js')).default;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `cannot load uWebSockets.js with this Node.js (${process.execPath}).\n${reason}\n` +
        'Its binaries need glibc 2.38 or newer; `npm start` prepares a compatible runtime on older hosts.',
      { cause: error },
    );
  }
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const { redisUrl } = config;
  const server = await startServer(
    await loadUws(),
    config,
    redisUrl ? (hub) => RedisCluster.connect(redisUrl, uuidv4(), hub, logError) : undefined,
  );
  const mode = redisUrl ? ', sharing rooms through Redis' : '';
  console.log(`onetimechat relay ${version()} listening on http://${config.host}:${server.port}${mode}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.shutdown(shutdownDeadlineMs).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function logError(message: string): void {
  console.error(`onetimechat relay: ${message}`);
}

main().catch((error: unknown) => {
  logError(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
