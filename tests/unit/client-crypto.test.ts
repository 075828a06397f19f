import { createHash, hkdfSync, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64url, toBase64url } from '../../client/src/lib/base64url.ts';
import {
  decryptText,
  encryptText,
  isRoomSecret,
  messageKeyFromSecret,
  newRoomSecret,
  roomIdFromSecret,
  secretFromRoomName,
} from '../../client/src/lib/crypto.ts';
import { ROOM_ID_PATTERN } from '../../protocol/index.ts';

// The secret 00 01 02 … 0f, and values computed for it with Node's own crypto.
const secret = 'AAECAwQFBgcICQoLDA0ODw';
const expectedRoomId = 'Y_zQkL3Rq_5BygKIuykMJoQkxUCxcH2ZzUEOnhBvk98';
// AES-256-GCM of "hello, room" under the HKDF key, with the IV 07 × 12.
const knownPayload = 'BwcHBwcHBwcHBwcHVL0gs7bVW4FOyFO1tmEv0sr_ckQuk7f_Z5MQ';

describe('base64url', () => {
  it('matches Node for every length around a block', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      const encoded = toBase64url(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64url(encoded)).toEqual(bytes);
    }
  });

  it('refuses characters outside the alphabet and impossible lengths', () => {
    expect(fromBase64url('ab+c')).toBeUndefined();
    expect(fromBase64url('abcde')).toBeUndefined();
    expect(fromBase64url('ab=')).toBeUndefined();
  });
});

describe('room secrets and ids', () => {
  it('makes 128-bit secrets that differ every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, newRoomSecret));
    expect(secrets.size).toBe(50);
    for (const made of secrets) {
      expect(fromBase64url(made)).toHaveLength(16);
      expect(isRoomSecret(made)).toBe(true);
    }
  });

  it('refuses fragments that are not secrets of at least 128 bits', () => {
    expect(isRoomSecret('')).toBe(false);
    expect(isRoomSecret('AAECAwQFBgcICQoLDA0O')).toBe(false);
    expect(isRoomSecret('not a secret at all!!!')).toBe(false);
    expect(isRoomSecret('A'.repeat(200))).toBe(false);
  });

  it('derives the room id as SHA-256 of a label and the secret (known vector)', async () => {
    const roomId = await roomIdFromSecret(secret);
    expect(roomId).toBe(expectedRoomId);
    const label = Buffer.from('onetimechat v1 room id\0');
    const bytes = Buffer.from(secret, 'base64url');
    expect(roomId).toBe(
      createHash('sha256')
        .update(Buffer.concat([label, bytes]))
        .digest('base64url'),
    );
    expect(roomId).toMatch(ROOM_ID_PATTERN);
  });

  it('gives different rooms different ids', async () => {
    expect(await roomIdFromSecret(newRoomSecret())).not.toBe(await roomIdFromSecret(newRoomSecret()));
  });

  it('derives named-room secrets with PBKDF2-SHA-256, 600,000 rounds, ignoring case and spacing', async () => {
    const origin = 'https://chat.example.org';
    const salt = `onetimechat v1 named room\n${origin}`;
    const expected = pbkdf2Sync('our secret garden', salt, 600_000, 16, 'sha256').toString('base64url');
    expect(await secretFromRoomName('our secret garden', origin)).toBe(expected);
    expect(await secretFromRoomName('  Our   Secret\tGarden ', origin)).toBe(expected);
    expect(await secretFromRoomName('our secret garden 2', origin, 1000)).not.toBe(
      await secretFromRoomName('our secret garden', origin, 1000),
    );
  });

  it('salts named rooms with the relay origin, so one dictionary does not fit every deployment', async () => {
    expect(await secretFromRoomName('lobby', 'https://a.example', 1000)).not.toBe(
      await secretFromRoomName('lobby', 'https://b.example', 1000),
    );
  });
});

describe('message encryption', () => {
  it('opens a payload made with the HKDF-SHA-256 key by another implementation (known vector)', async () => {
    const raw = Buffer.from(
      hkdfSync('sha256', Buffer.from(secret, 'base64url'), 'onetimechat v1', 'onetimechat v1 message key', 32),
    );
    expect(raw.toString('hex')).toBe('30dc21e42e23f1f9d24967e5e5c300a28bd8b88ff01cc00bdc92cb1c1867fc82');
    const key = await messageKeyFromSecret(secret);
    expect(await decryptText(key, knownPayload)).toBe('hello, room');
  });

  it('round-trips text, with a fresh IV each time', async () => {
    const key = await messageKeyFromSecret(secret);
    const text = 'héllo 👋 <b>world</b>';
    const first = await encryptText(key, text);
    const second = await encryptText(key, text);
    expect(first).not.toBe(second);
    expect(first.slice(0, 16)).not.toBe(second.slice(0, 16));
    expect(await decryptText(key, first)).toBe(text);
    expect(await decryptText(key, second)).toBe(text);
  });

  it('rejects tampered payloads, other keys and garbage without throwing', async () => {
    const key = await messageKeyFromSecret(secret);
    const payload = await encryptText(key, 'secret words');
    const bytes = fromBase64url(payload)!;
    for (const index of [0, 12, bytes.length - 1]) {
      const tampered = Uint8Array.from(bytes);
      tampered[index]! ^= 1;
      expect(await decryptText(key, toBase64url(tampered))).toBeUndefined();
    }
    const otherKey = await messageKeyFromSecret(newRoomSecret());
    expect(await decryptText(otherKey, payload)).toBeUndefined();
    for (const garbage of ['', 'abc', '!!!!', 'A'.repeat(27), payload.slice(0, -4)]) {
      expect(await decryptText(key, garbage)).toBeUndefined();
    }
  });

  it('never puts the plaintext in the payload', async () => {
    const key = await messageKeyFromSecret(secret);
    const payload = await encryptText(key, 'plain words here');
    expect(payload).not.toContain('plain');
    expect(Buffer.from(payload, 'base64url').toString('latin1')).not.toContain('plain');
  });
});
