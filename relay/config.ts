// Relay settings from environment variables, with safe defaults. Pure: the
// caller passes the environment, so tests can too.
import { parseAllowedOrigins, parseTrustProxy, type TrustProxy } from './admission.ts';
import { maxFrameLength } from '../protocol/index.ts';
import { parseIceServers, type CallConfig } from './ice.ts';

export interface RelayConfig extends CallConfig {
  host: string;
  port: number;
  /** Largest payload or summary in bytes of UTF-8. */
  maxPayload: number;
  /** Peers allowed in one room; the next joiner gets room_full. */
  roomMaxPeers: number;
  /** Frames per second per connection; 0 turns rate limiting off. */
  rateLimit: number;
  rateBurst: number;
  /** Bytes of frames per second per connection, beside the frame rate; 0 turns this budget off. */
  rateBytes: number;
  rateBurstBytes: number;
  /** How long a dropped connection's id stays reserved for its resume. */
  resumeGraceMs: number;
  /** Signs resume tokens; set it so a restarted relay accepts the old ones. */
  relaySecret: string | undefined;
  /** Origins allowed to open sockets; empty means the page's own origin. */
  allowedOrigins: string[];
  /** Which proxy header, if any, names the client (TRUST_PROXY: unset, `fly` or `xff:<hops>`). */
  trustProxy: TrustProxy;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Seconds without traffic before a socket is pinged, then dropped. */
  idleTimeoutS: number;
  /** Bytes queued for a slow reader before the relay drops it. */
  maxBackpressure: number;
  /** Relays sharing rooms meet here; unset, the relay runs alone. */
  redisUrl: string | undefined;
  /** Directory of the built client served over HTTP. */
  clientDir: string;
  /** Between SIGTERM (readiness fails) and closing the sockets, so balancers stop sending new ones. */
  drainDelayMs: number;
  /** Prometheus metrics on their own listener; unset, there is none. */
  metricsPort: number | undefined;
  metricsHost: string;
  logFormat: LogFormat;
}

export type LogFormat = 'text' | 'json';

/** After the drain delay, how long the sockets get to close before the relay exits anyway. */
export const shutdownDeadlineMs = 4000;

type Env = Record<string, string | undefined>;

export const defaults: RelayConfig = {
  host: '0.0.0.0',
  port: 8080,
  maxPayload: 128 * 1024,
  roomMaxPeers: 256,
  rateLimit: 30,
  rateBurst: 60,
  rateBytes: 2.5 * 1024 * 1024,
  rateBurstBytes: 4 * 1024 * 1024,
  resumeGraceMs: 20_000,
  relaySecret: undefined,
  allowedOrigins: [],
  trustProxy: { kind: 'none' },
  maxConnections: 20_000,
  maxConnectionsPerAddress: 100,
  idleTimeoutS: 32,
  maxBackpressure: 1024 * 1024,
  redisUrl: undefined,
  clientDir: 'dist/client',
  callMaxParticipants: 8,
  iceServers: [],
  turnSecret: undefined,
  turnCredentialTtlS: 3600,
  drainDelayMs: 3000,
  metricsPort: undefined,
  metricsHost: '127.0.0.1',
  logFormat: 'text',
};

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = allowed.find((candidate) => candidate === raw);
  if (value === undefined) throw new Error(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Reads the configuration; throws with the variable's name on a bad value. */
export function readConfig(env: Env): RelayConfig {
  if (env.REDIS_URL && !env.RELAY_SECRET) {
    throw new Error('REDIS_URL needs RELAY_SECRET, the same on every relay, so a client can resume on any of them');
  }
  const maxPayload = integer(env, 'MAX_PAYLOAD', defaults.maxPayload, 1, 16 * 1024 * 1024);
  return {
    host: env.HOST || defaults.host,
    port: integer(env, 'PORT', defaults.port, 0, 65535),
    maxPayload,
    roomMaxPeers: integer(env, 'ROOM_MAX_PEERS', defaults.roomMaxPeers, 1, 1_000_000),
    rateLimit: integer(env, 'RATE_LIMIT', defaults.rateLimit, 0, 1_000_000),
    rateBurst: integer(env, 'RATE_BURST', defaults.rateBurst, 1, 1_000_000),
    rateBytes: integer(env, 'RATE_BYTES', defaults.rateBytes, 0, 1024 * 1024 * 1024),
    // Below the largest frame a full bucket could not pass the largest payload.
    rateBurstBytes: integer(
      env,
      'RATE_BURST_BYTES',
      defaults.rateBurstBytes,
      maxFrameLength(maxPayload),
      1024 * 1024 * 1024,
    ),
    resumeGraceMs: integer(env, 'RESUME_GRACE_MS', defaults.resumeGraceMs, 0, 3_600_000),
    relaySecret: env.RELAY_SECRET || undefined,
    allowedOrigins: parseAllowedOrigins(env.ALLOWED_ORIGINS),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    maxConnections: integer(env, 'MAX_CONNECTIONS', defaults.maxConnections, 1, 10_000_000),
    maxConnectionsPerAddress: integer(
      env,
      'MAX_CONNECTIONS_PER_ADDRESS',
      defaults.maxConnectionsPerAddress,
      1,
      10_000_000,
    ),
    // uWebSockets.js checks timeouts every 4 seconds and needs at least 8.
    idleTimeoutS: integer(env, 'IDLE_TIMEOUT_S', defaults.idleTimeoutS, 8, 960),
    maxBackpressure: integer(env, 'MAX_BACKPRESSURE', defaults.maxBackpressure, 1024, 1024 * 1024 * 1024),
    redisUrl: env.REDIS_URL || undefined,
    clientDir: env.CLIENT_DIR || defaults.clientDir,
    ...readOperations(env),
    ...readCalls(env),
  };
}

/** How the relay is run and watched: drain, metrics, logs. */
function readOperations(env: Env): Pick<RelayConfig, 'drainDelayMs' | 'metricsPort' | 'metricsHost' | 'logFormat'> {
  return {
    drainDelayMs: integer(env, 'DRAIN_DELAY_MS', defaults.drainDelayMs, 0, 600_000),
    metricsPort: env.METRICS_PORT ? integer(env, 'METRICS_PORT', 0, 0, 65535) : undefined,
    metricsHost: env.METRICS_HOST || defaults.metricsHost,
    logFormat: oneOf(env, 'LOG_FORMAT', ['text', 'json'], defaults.logFormat),
  };
}

/** Calls: the participant limit and the ICE servers handed to clients. */
function readCalls(env: Env): CallConfig {
  return {
    callMaxParticipants: integer(env, 'CALL_MAX_PARTICIPANTS', defaults.callMaxParticipants, 2, 32),
    iceServers: parseIceServers(env.ICE_SERVERS),
    turnSecret: env.TURN_SECRET || undefined,
    turnCredentialTtlS: integer(env, 'TURN_CREDENTIAL_TTL_S', defaults.turnCredentialTtlS, 60, 86_400),
  };
}
