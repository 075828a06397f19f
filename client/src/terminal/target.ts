// Which room, on which relay: a link carries both; a room name or a bare
// secret lives on the relay given by --relay. The same rules as the page's
// /join: a link or secret first, otherwise a named room.
import { secretFromRoomName } from '../lib/crypto.ts';
import { roomLink, secretFromHash, secretFromLink } from '../lib/links.ts';

export interface RoomTarget {
  secret: string;
  /** The relay's http(s) origin, where the page of the link is served. */
  origin: string;
}

export type Resolved = { ok: true; target: RoomTarget } | { ok: false; error: string };

/** The http(s) origin of a URL, or undefined when it is none. */
export function httpOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export function socketOrigin(origin: string): string {
  return origin.replace(/^http/, 'ws');
}

export function linkOf(target: RoomTarget): string {
  return roomLink(target.origin, target.secret);
}

export async function resolveTarget(text: string, relay: string): Promise<Resolved> {
  const input = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    const origin = httpOrigin(input);
    if (!origin) return { ok: false, error: 'a room link starts with http:// or https://' };
    const secret = secretFromHash(new URL(input).hash);
    if (!secret) return { ok: false, error: 'that link holds no room secret (the part after #)' };
    return { ok: true, target: { secret, origin } };
  }
  const relayOrigin = httpOrigin(relay);
  if (!relayOrigin) return { ok: false, error: `the relay must be an http:// or https:// address` };
  if (!input) return { ok: false, error: 'no room link or room name given' };
  const secret = secretFromLink(input) ?? (await secretFromRoomName(input, relayOrigin));
  return { ok: true, target: { secret, origin: relayOrigin } };
}
