// Entry point: read the configuration, load uWebSockets.js, serve, and stop
// cleanly on SIGTERM or SIGINT: readiness fails and new sockets are refused
// at once, the open ones are closed with 1001 after DRAIN_DELAY_MS, and the
// process exits 0. A second signal skips the rest of the delay. The only log
// lines are the start line and errors.
import { readFileSync } from 'node:fs';
import { v4 as uuidv4 } from 'uuid';
import { RedisCluster } from './cluster.ts';
import { readConfig, shutdownDeadlineMs, type RelayConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { createRegistry, serveMetrics, type MetricsServer } from './metrics.ts';
import { startServer, type RunningServer } from './server.ts';

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

async function main(log: Logger, config: RelayConfig): Promise<void> {
  const { redisUrl } = config;
  const server = await startServer(
    await loadUws(),
    config,
    redisUrl ? (hub) => RedisCluster.connect(redisUrl, uuidv4(), hub, (message) => log.error(message)) : undefined,
  );
  const metrics =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(createRegistry(server.counters, server.state), config.metricsHost, config.metricsPort);
  const mode = redisUrl ? ', sharing rooms through Redis' : '';
  const metricsAt = metrics ? `, metrics on http://${config.metricsHost}:${metrics.port}/metrics` : '';
  log.info(`onetimechat relay ${version()} listening on http://${config.host}:${server.port}${mode}${metricsAt}`);
  stopOnSignals(server, metrics, config.drainDelayMs);
}

function stopOnSignals(server: RunningServer, metrics: MetricsServer | undefined, drainDelayMs: number): void {
  let stopNow: (() => void) | undefined;
  const stop = (): void => {
    if (stopNow) return stopNow();
    server.drain();
    const delay = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainDelayMs);
      stopNow = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    void delay
      .then(() => server.shutdown(shutdownDeadlineMs))
      .then(() => metrics?.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

let log = createLogger('text');
try {
  const config = readConfig(process.env);
  log = createLogger(config.logFormat);
  await main(log, config);
} catch (error: unknown) {
  log.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
