// Resume tokens: proof that a reconnecting client owned an id in a room.
// A token is `<id>.<HMAC(secret, room, id)>`: unforgeable without the secret
// and useless in any other room. Whether the id may still be taken back (the
// grace period) is the relay's decision, not the token's.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newSecret(): Buffer {
  return randomBytes(32);
}

function signature(secret: Buffer | string, room: string, id: string): Buffer {
  return createHmac('sha256', secret).update(`onetimechat resume v1\n${room}\n${id}`).digest();
}

export function issueToken(secret: Buffer | string, room: string, id: string): string {
  return `${id}.${signature(secret, room, id).toString('base64url')}`;
}

/** The id a token proves for this room, or undefined if the token is not genuine. */
export function verifyToken(secret: Buffer | string, room: string, token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 200) return undefined;
  const id = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = signature(secret, room, id);
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
}
