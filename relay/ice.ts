// Call settings the relay hands each socket in `init.info.call`: the
// participant limit and the ICE servers. With TURN_SECRET set, every TURN
// server gets short-lived credentials in the TURN REST API form that coturn's
// `use-auth-secret` checks: username "expiry:random", password
// base64(HMAC-SHA1(secret, username)). The relay sees no call; it only hands out the keys.
import { createHmac, randomBytes } from 'node:crypto';

export interface IceServerConfig {
  urls: string[];
}

export interface CallConfig {
  callMaxParticipants: number;
  iceServers: IceServerConfig[];
  turnSecret: string | undefined;
  /** How long handed-out TURN credentials stay valid. */
  turnCredentialTtlS: number;
}

export interface IceServerInfo {
  urls: string[];
  username?: string;
  credential?: string;
}

const iceUrlPattern = /^(stun|stuns|turn|turns):[^\s]+$/;

/** Reads ICE_SERVERS: a JSON list of URLs, or of objects with `urls` (a URL or a list). Throws on anything else. */
export function parseIceServers(raw: string | undefined): IceServerConfig[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('ICE_SERVERS must be JSON, e.g. ["stun:turn.example.org:3478","turn:turn.example.org:3478"]');
  }
  if (!Array.isArray(value)) throw new Error('ICE_SERVERS must be a JSON list');
  return value.map((entry: unknown) => {
    const urls = typeof entry === 'string' ? [entry] : iceUrls(entry);
    if (!isIceUrlList(urls)) {
      throw new Error(
        `ICE_SERVERS has an entry that is not a stun:, stuns:, turn: or turns: URL: ${JSON.stringify(entry)}`,
      );
    }
    return { urls };
  });
}

function isIceUrlList(urls: unknown[]): urls is string[] {
  return urls.length > 0 && urls.every((url) => typeof url === 'string' && iceUrlPattern.test(url));
}

function iceUrls(entry: unknown): unknown[] {
  if (typeof entry !== 'object' || entry === null || !('urls' in entry)) return [];
  const { urls } = entry;
  return Array.isArray(urls) ? urls : [urls];
}

function isTurn(server: IceServerConfig): boolean {
  return server.urls.some((url) => url.startsWith('turn'));
}

/** Credentials for the TURN REST API convention, valid until `nowS + ttlS`. */
export function turnCredentials(secret: string, nowS: number, ttlS: number): { username: string; credential: string } {
  const username = `${Math.floor(nowS) + ttlS}:${randomBytes(9).toString('base64url')}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** What one socket is told about calls; TURN servers get fresh credentials, STUN servers none. */
export function callInfo(config: CallConfig, nowS: number): { maxParticipants: number; iceServers: IceServerInfo[] } {
  const credentials =
    config.turnSecret === undefined ? undefined : turnCredentials(config.turnSecret, nowS, config.turnCredentialTtlS);
  const iceServers = config.iceServers
    .filter((server) => !isTurn(server) || credentials !== undefined)
    .map((server) => (isTurn(server) ? { urls: server.urls, ...credentials } : { urls: server.urls }));
  return { maxParticipants: config.callMaxParticipants, iceServers };
}
