// Who connects to whom in a call, which side of a pair yields when both offer
// at once, who is past the participant limit, and how each sender shares its
// upload budget as the call grows. Pure, so every rule is tested without a browser.
import type { PeerId } from '../../../../protocol/index.ts';
import type { TrackRole } from './envelopes.ts';

/**
 * The polite side of a pair rolls back its own offer when the two collide
 * (perfect negotiation); the larger id is polite, so both sides agree.
 */
export function isPolite(self: PeerId, peer: PeerId): boolean {
  return self > peer;
}

/** Participants in the call's order: by the relay time they joined, ties by id. */
export function callOrder(participants: ReadonlyMap<PeerId, { since: number }>): PeerId[] {
  return [...participants]
    .sort(([a, x], [b, y]) => x.since - y.since || (a < b ? -1 : a > b ? 1 : 0))
    .map(([id]) => id);
}

/** The first `limit` participants in the call's order; anyone later is past the limit and gets no connection. */
export function admitted(participants: ReadonlyMap<PeerId, { since: number }>, limit: number): Set<PeerId> {
  return new Set(callOrder(participants).slice(0, limit));
}

/**
 * The peers we hold a connection with: every other admitted participant, or
 * nobody while we ourselves are past the limit. `participants` includes us.
 */
export function connectionTargets(
  self: PeerId,
  participants: ReadonlyMap<PeerId, { since: number }>,
  limit: number,
): PeerId[] {
  const inCall = admitted(participants, limit);
  if (!inCall.has(self)) return [];
  return [...inCall].filter((peer) => peer !== self);
}

/** Upload for all of one sender's tracks to all its peers together. */
export const defaultUploadBudget = 2_500_000;
/** Opus voice needs about this much; it is set aside first, so audio is never starved. */
export const audioReserve = 48_000;
/** Below this a video stream is not worth sending in better shape; it is the floor. */
export const minVideoBitrate = 60_000;
/** A screen beside a camera gets this share of the video budget: its text must stay readable. */
const screenShare = 0.7;

export interface VideoEncoding {
  maxBitrate: number;
  /** Each dimension divided by this (1: full resolution). */
  scaleResolutionDownBy: number;
}

/** The resolution that suits a bitrate: full from 900 kbit/s, then half, a third, a quarter. */
function scaleFor(bitrate: number, role: TrackRole): number {
  if (role === 'screen') return 1; // a smaller screen is unreadable; a screen lowers its frame rate instead
  if (bitrate >= 900_000) return 1;
  if (bitrate >= 400_000) return 2;
  if (bitrate >= 150_000) return 3;
  return 4;
}

/**
 * How each of our video tracks is sent to each peer so that the whole upload
 * (every peer, audio included) stays within `budget`. With `peers` 0 nothing
 * is sent, so the result is empty.
 */
export function videoEncodings(
  budget: number,
  peers: number,
  videoRoles: readonly TrackRole[],
): Map<TrackRole, VideoEncoding> {
  const encodings = new Map<TrackRole, VideoEncoding>();
  if (peers <= 0 || videoRoles.length === 0) return encodings;
  const perPeerVideo = Math.max(0, budget / peers - audioReserve);
  const both = videoRoles.includes('screen') && videoRoles.includes('camera');
  for (const role of videoRoles) {
    const share = !both ? 1 / videoRoles.length : role === 'screen' ? screenShare : 1 - screenShare;
    const maxBitrate = Math.max(minVideoBitrate, Math.floor(perPeerVideo * share));
    encodings.set(role, { maxBitrate, scaleResolutionDownBy: scaleFor(maxBitrate, role) });
  }
  return encodings;
}
