// The relays under test, each started fresh for every round: onetimechat's
// relay, the comparison relays in tests/bench/relays/, and two onetimechat
// relays sharing rooms through a real redis-server. Optionally the same
// relay with its metrics endpoint on, and another build of it (BENCH_BASELINE,
// the directory of another checkout after `npm run build`) alone and with
// Redis, to measure a change before and after in the same run.
import { existsSync } from 'node:fs';
import { startRedis } from '../support/redis.ts';
import { cpuMs, killAtExit, pin, redisPid, relayCpu, startRelayProcess } from './proc.ts';
import type { TransportName } from './transport.ts';

export type SetupName =
  | 'onetimechat'
  | 'uws-ceiling'
  | 'ws'
  | 'socketio'
  | 'onetimechat-redis'
  | 'onetimechat-metrics'
  | 'baseline'
  | 'baseline-redis';

/** Setups of two relays sharing rooms through Redis. */
export const withRedis = (name: SetupName): boolean => name === 'onetimechat-redis' || name === 'baseline-redis';

export interface RunningSetup {
  /** The relays' ports; clients are spread over them in turn. */
  ports: number[];
  relayPids: number[];
  /** CPU time of the relays and of Redis so far, in ms. */
  cpu(): { relays: number; redis: number };
  stop(): Promise<void>;
}

const onetimechatEntry = 'dist/server/relay/main.js';

/**
 * Documented settings only: rate limiting stays on but never triggers, and
 * the connection limits make room for the scenarios (one client address,
 * 50,000 idle sockets).
 */
export const onetimechatEnv: Record<string, string> = {
  RATE_LIMIT: '1000000',
  RATE_BURST: '1000000',
  RATE_BYTES: String(1024 ** 3),
  RATE_BURST_BYTES: String(1024 ** 3),
  MAX_CONNECTIONS: '100000',
  MAX_CONNECTIONS_PER_ADDRESS: '100000',
};

async function startRelays(script: string, env: Record<string, string>, count: number): Promise<RunningSetup> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startRelayProcess(script, env)));
  const relays = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(relays.map((relay) => relay.stop()));
    throw failed.reason;
  }
  return {
    ports: relays.map((relay) => relay.port),
    relayPids: relays.map((relay) => relay.pid),
    cpu: () => ({ relays: relays.reduce((sum, relay) => sum + cpuMs(relay.pid), 0), redis: 0 }),
    stop: async () => void (await Promise.all(relays.map((relay) => relay.stop()))),
  };
}

/** Two relays sharing rooms through a redis-server, which runs on the relays' core. */
async function startWithRedis(script: string, env: Record<string, string>): Promise<RunningSetup> {
  const redis = await startRedis();
  let guard: { release(): void } | undefined;
  try {
    const pid = redisPid(redis.port);
    guard = killAtExit(pid);
    pin(pid, relayCpu);
    const relays = await startRelays(script, { ...env, REDIS_URL: redis.url, RELAY_SECRET: 'benchmark secret' }, 2);
    return {
      ...relays,
      cpu: () => ({ relays: relays.cpu().relays, redis: cpuMs(pid) }),
      stop: async () => {
        await relays.stop();
        await redis.stop();
        guard?.release();
      },
    };
  } catch (error) {
    await redis.stop();
    guard?.release();
    throw error;
  }
}

export function startSetup(setup: Setup): Promise<RunningSetup> {
  return setup.withRedis ? startWithRedis(setup.script, setup.env) : startRelays(setup.script, setup.env, 1);
}

export interface Setup {
  name: SetupName;
  label: string;
  transport: TransportName;
  script: string;
  env: Record<string, string>;
  withRedis: boolean;
}

const comparison = (name: SetupName, label: string, transport: TransportName): Setup => ({
  name,
  label,
  transport,
  script: `tests/bench/relays/${name}.mjs`,
  env: {},
  withRedis: false,
});

const onetimechat = { transport: 'websocket', script: onetimechatEntry, env: onetimechatEnv } as const;
const baselineDir = process.env.BENCH_BASELINE;
const baseline = { ...onetimechat, script: `${baselineDir ?? '<BENCH_BASELINE>'}/${onetimechatEntry}` } as const;

export const allSetups: Setup[] = [
  { name: 'onetimechat', label: 'onetimechat', ...onetimechat, withRedis: false },
  comparison('uws-ceiling', 'uWS ceiling', 'websocket'),
  comparison('ws', 'ws', 'websocket'),
  comparison('socketio', 'socket.io', 'socketio'),
  { name: 'onetimechat-redis', label: 'onetimechat ×2 + Redis', ...onetimechat, withRedis: true },
  // Not scraped during a round: what the registry and its default collectors cost while the relay works.
  {
    name: 'onetimechat-metrics',
    label: 'onetimechat, metrics on',
    ...onetimechat,
    env: { ...onetimechatEnv, METRICS_PORT: '0' },
    withRedis: false,
  },
  { name: 'baseline', label: 'baseline build', ...baseline, withRedis: false },
  { name: 'baseline-redis', label: 'baseline ×2 + Redis', ...baseline, withRedis: true },
];

/** Run unless BENCH_RELAYS names them: the optional setups, and the baseline only with BENCH_BASELINE. */
export const defaultSetups = allSetups
  .map((setup) => setup.name)
  .filter((name) => !['onetimechat-metrics', 'baseline', 'baseline-redis'].includes(name));

/** Whether a setup's relay exists in this tree (the comparison relays may not yet). */
export const isAvailable = (setup: Setup): boolean => existsSync(setup.script);
