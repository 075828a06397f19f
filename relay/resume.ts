// Resume tokens: proof that a reconnecting client owned an id in a room.
// A token is `<id>.<expires>.<HMAC(secret, room, id, expires)>`: unforgeable
// without the secret, useless in any other room, and worthless after
// `expires` (ms since the epoch) even to a relay that would otherwise take
// any genuine token (one started less than a grace period ago). Whether the
// id may still be taken back (the grace period) is the relay's decision.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a token proves its id: a connection older than this comes back as a newcomer after a drop. */
export const tokenLifetimeMs = 12 * 60 * 60 * 1000;

export function newSecret(): Buffer {
  return randomBytes(32);
}

function signature(secret: Buffer | string, room: string, id: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`onetimechat resume v2\n${room}\n${id}\n${expires}`).digest();
}

export function issueToken(secret: Buffer | string, room: string, id: string, now: number): string {
  const expires = now + tokenLifetimeMs;
  return `${id}.${expires}.${signature(secret, room, id, expires).toString('base64url')}`;
}

/** The id a token proves for this room at `now`, or undefined if it is not genuine or has expired. */
export function verifyToken(secret: Buffer | string, room: string, token: string, now: number): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 200) return undefined;
  const [id, expiresText, mac] = parts as [string, string, string];
  const expires = Number(expiresText);
  if (id === '' || !/^\d{1,16}$/.test(expiresText) || expires <= now) return undefined;
  const given = Buffer.from(mac, 'base64url');
  const expected = signature(secret, room, id, expires);
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
}
