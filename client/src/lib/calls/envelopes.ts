// The call's envelope kinds. `call` is broadcast: who is in the call and how
// (muted, camera, screen). `sdp` and `ice` go by unicast to one participant:
// the session descriptions and the ICE candidates of the pair's connection,
// so the relay never sees them in clear. Every field is bounded, so a hostile
// member with the key can send nothing that grows without limit.
import { isRecord, isValidName, type EnvelopeDecoders } from '../envelope-fields.ts';

/** What a participant sends on a transceiver, announced so nobody guesses from track labels. */
export type TrackRole = 'mic' | 'camera' | 'screen' | 'screen-audio';
const trackRoles: readonly TrackRole[] = ['mic', 'camera', 'screen', 'screen-audio'];

export interface CallState {
  /** In the call (false: just left it). */
  joined: boolean;
  /** When the sender joined, on the relay's clock: the call's order, which decides who is past the limit. */
  since: number;
  muted: boolean;
  camera: boolean;
  screen: boolean;
}

export interface IceCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export type CallStateEnvelope = { v: 1; kind: 'call'; name: string } & CallState;
export type SdpEnvelope = {
  v: 1;
  kind: 'sdp';
  type: 'offer' | 'answer';
  sdp: string;
  roles: Record<string, TrackRole>;
};
export type IceEnvelope = { v: 1; kind: 'ice'; candidates: IceCandidate[] };
export type CallEnvelope = CallStateEnvelope | SdpEnvelope | IceEnvelope;

/** Real offers for a few tracks are 3–10 kB; a description past this is not believed. */
export const maxSdpLength = 48_000;
/** Transceivers one connection may announce: mic, camera, screen and its audio, with room for renegotiated ones. */
export const maxRoles = 16;
/** Candidates in one bundle, and the length of one (real ones are about 100 characters). */
export const maxCandidatesPerBundle = 32;
export const maxCandidateLength = 512;
const maxMidLength = 16;
const maxMLineIndex = 63;

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

function decodeCall(value: Record<string, unknown>): CallStateEnvelope | undefined {
  const { name, joined, since, muted, camera, screen } = value;
  if (!isValidName(name) || !isBoolean(joined) || !isBoolean(muted) || !isBoolean(camera) || !isBoolean(screen)) {
    return undefined;
  }
  if (typeof since !== 'number' || !Number.isFinite(since) || since < 0) return undefined;
  return { v: 1, kind: 'call', name, joined, since, muted, camera, screen };
}

function isMid(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxMidLength;
}

function decodeRoles(value: unknown): Record<string, TrackRole> | undefined {
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length > maxRoles) return undefined;
  const roles: Record<string, TrackRole> = {};
  for (const [mid, role] of entries) {
    if (!isMid(mid) || !trackRoles.includes(role as TrackRole)) return undefined;
    roles[mid] = role as TrackRole;
  }
  return roles;
}

function decodeSdp(value: Record<string, unknown>): SdpEnvelope | undefined {
  const { type, sdp } = value;
  if (type !== 'offer' && type !== 'answer') return undefined;
  if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > maxSdpLength || !sdp.startsWith('v=0')) {
    return undefined;
  }
  const roles = decodeRoles(value.roles);
  return roles && { v: 1, kind: 'sdp', type, sdp, roles };
}

/** An empty `candidate` is the end-of-candidates marker and is valid. */
function decodeCandidate(value: unknown): IceCandidate | undefined {
  if (!isRecord(value)) return undefined;
  const { candidate, sdpMid, sdpMLineIndex } = value;
  if (typeof candidate !== 'string' || candidate.length > maxCandidateLength) return undefined;
  if (sdpMid !== null && !isMid(sdpMid)) return undefined;
  const indexOk =
    sdpMLineIndex === null ||
    (Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0 && (sdpMLineIndex as number) <= maxMLineIndex);
  if (!indexOk || (sdpMid === null && sdpMLineIndex === null)) return undefined;
  return { candidate, sdpMid, sdpMLineIndex: sdpMLineIndex as number | null };
}

function decodeIce(value: Record<string, unknown>): IceEnvelope | undefined {
  const { candidates } = value;
  if (!Array.isArray(candidates) || candidates.length === 0 || candidates.length > maxCandidatesPerBundle) {
    return undefined;
  }
  const decoded: IceCandidate[] = [];
  for (const candidate of candidates) {
    const valid = decodeCandidate(candidate);
    if (!valid) return undefined;
    decoded.push(valid);
  }
  return { v: 1, kind: 'ice', candidates: decoded };
}

export const callDecoders: EnvelopeDecoders<CallEnvelope> = {
  call: decodeCall,
  sdp: decodeSdp,
  ice: decodeIce,
};
