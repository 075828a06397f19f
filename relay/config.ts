// Relay settings from environment variables, with safe defaults. Pure: the
// caller passes the environment, so tests can too.

export interface RelayConfig {
  host: string;
  port: number;
  /** Largest payload or summary in bytes of UTF-8. */
  maxPayload: number;
  /** Peers allowed in one room; the next joiner gets room_full. */
  roomMaxPeers: number;
  /** Frames per second per connection; 0 turns rate limiting off. */
  rateLimit: number;
  rateBurst: number;
  /** Directory of the built client served over HTTP. */
  clientDir: string;
}

type Env = Record<string, string | undefined>;

export const defaults: RelayConfig = {
  host: '0.0.0.0',
  port: 8080,
  maxPayload: 64 * 1024,
  roomMaxPeers: 256,
  rateLimit: 30,
  rateBurst: 60,
  clientDir: 'dist/client',
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

/** Reads the configuration; throws with the variable's name on a bad value. */
export function readConfig(env: Env): RelayConfig {
  return {
    host: env.HOST || defaults.host,
    port: integer(env, 'PORT', defaults.port, 0, 65535),
    maxPayload: integer(env, 'MAX_PAYLOAD', defaults.maxPayload, 1, 16 * 1024 * 1024),
    roomMaxPeers: integer(env, 'ROOM_MAX_PEERS', defaults.roomMaxPeers, 1, 1_000_000),
    rateLimit: integer(env, 'RATE_LIMIT', defaults.rateLimit, 0, 1_000_000),
    rateBurst: integer(env, 'RATE_BURST', defaults.rateBurst, 1, 1_000_000),
    clientDir: env.CLIENT_DIR || defaults.clientDir,
  };
}
