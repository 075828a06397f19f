// What the relay says about calls in `init.info.call`: the participant limit
// and the ICE servers (with short-lived TURN credentials when the operator
// runs TURN). Validated like everything from the network; anything odd falls
// back to the defaults: host candidates only, eight participants.
import { isRecord } from '../envelope-fields.ts';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface CallInfo {
  maxParticipants: number;
  iceServers: IceServer[];
}

export const defaultCallInfo: CallInfo = { maxParticipants: 8, iceServers: [] };

const maxServers = 8;
const maxUrlsPerServer = 8;
const maxFieldLength = 512;
const iceUrlPattern = /^(stun|stuns|turn|turns):[^\s]+$/;
/** A mesh of more than this many is more upload than any browser has. */
const maxParticipantsCeiling = 32;

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxFieldLength;
}

function decodeServer(value: unknown): IceServer | undefined {
  if (!isRecord(value)) return undefined;
  const urls = typeof value.urls === 'string' ? [value.urls] : value.urls;
  if (!Array.isArray(urls) || urls.length === 0 || urls.length > maxUrlsPerServer) return undefined;
  if (!urls.every((url) => isShortString(url) && iceUrlPattern.test(url))) return undefined;
  const server: IceServer = { urls: urls as string[] };
  if (value.username !== undefined || value.credential !== undefined) {
    if (!isShortString(value.username) || !isShortString(value.credential)) return undefined;
    server.username = value.username;
    server.credential = value.credential;
  }
  return server;
}

export function decodeCallInfo(value: unknown): CallInfo {
  if (!isRecord(value)) return defaultCallInfo;
  const max = value.maxParticipants;
  const maxParticipants =
    Number.isInteger(max) && (max as number) >= 2 && (max as number) <= maxParticipantsCeiling
      ? (max as number)
      : defaultCallInfo.maxParticipants;
  const servers = Array.isArray(value.iceServers) ? value.iceServers.slice(0, maxServers) : [];
  const iceServers = servers.map(decodeServer).filter((server) => server !== undefined);
  return { maxParticipants, iceServers };
}

/** Whether "hide my address" can work: only a TURN server can carry media without revealing it. */
export function hasTurn(info: CallInfo): boolean {
  return info.iceServers.some((server) => server.urls.some((url) => url.startsWith('turn')));
}
