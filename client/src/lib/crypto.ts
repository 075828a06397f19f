// Room secrets, room ids and message encryption, with Web Crypto only.
//
// The secret lives in the URL fragment and never reaches the relay. The relay
// sees the room id, a one-way hash of the secret, so it can route the room but
// cannot derive the key, which comes from the secret through HKDF.
import { fromBase64url, toBase64url } from './base64url.ts';

const secretBytes = 16;
const ivBytes = 12;
const gcmTagBytes = 16;
const namedRoomIterations = 600_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const labels = {
  roomId: 'onetimechat v1 room id',
  keySalt: 'onetimechat v1',
  keyInfo: 'onetimechat v1 message key',
  namedRoomSalt: 'onetimechat v1 named room',
};

/** Bytes an encrypted payload adds to its plaintext: the IV and the GCM tag. */
export const encryptionOverhead = ivBytes + gcmTagBytes;
/** An uncompressed P-256 point, and a raw (r ‖ s) ECDSA signature. */
export const publicKeyBytes = 65;
export const signatureBytes = 64;
/** What a sealed payload (see seal.ts) holds besides the envelope: signature, key, counter, length. */
export const sealHeaderBytes = signatureBytes + publicKeyBytes + 8 + 4;
/** A sealed payload's text starts with one character saying whom it is for. */
export const scopeMarkerLength = 1;

/** Length of the base64url text of `bytes` bytes. */
export function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** A new random room secret: 128 bits, base64url. */
export function newRoomSecret(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(secretBytes)));
}

/** Whether a URL fragment holds a room secret of at least 128 bits. */
export function isRoomSecret(text: string): boolean {
  if (text.length > 86) return false;
  const bytes = fromBase64url(text);
  return bytes !== undefined && bytes.length >= secretBytes;
}

function secretToBytes(secret: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64url(secret);
  if (!bytes || bytes.length < secretBytes) throw new Error('not a room secret');
  return bytes;
}

/** Named rooms are spelled loosely: case, spacing and Unicode forms do not matter. */
export function normalizeRoomName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The secret of a named room on the relay at `origin`. PBKDF2 is slow on
 * purpose so that guessing names costs something, and the salt holds the
 * origin so that one dictionary computed for one deployment fits no other;
 * still, a named room is only as private as its name is rare (it is "weak").
 */
export async function secretFromRoomName(
  name: string,
  origin: string,
  iterations = namedRoomIterations,
): Promise<string> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(normalizeRoomName(name)), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: encoder.encode(`${labels.namedRoomSalt}\n${origin}`), iterations },
    material,
    secretBytes * 8,
  );
  return toBase64url(new Uint8Array(bits));
}

/** The room id on the wire: SHA-256 of a label and the secret, base64url (43 characters). */
export async function roomIdFromSecret(secret: string): Promise<string> {
  const label = encoder.encode(labels.roomId);
  const bytes = secretToBytes(secret);
  const input = new Uint8Array(label.length + 1 + bytes.length);
  input.set(label);
  input.set(bytes, label.length + 1);
  return toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', input)));
}

/** The AES-GCM-256 message key, derived from the secret with HKDF-SHA-256. Not extractable. */
export async function messageKeyFromSecret(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', secretToBytes(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(labels.keySalt), info: encoder.encode(labels.keyInfo) },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Encrypts bytes with a fresh random IV, binding `aad`; the result is IV ‖ ciphertext ‖ tag. */
export async function encryptBytes(
  key: CryptoKey,
  plaintext: Uint8Array<ArrayBuffer>,
  aad?: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const iv = crypto.getRandomValues(new Uint8Array(ivBytes));
  const params: AesGcmParams = aad ? { name: 'AES-GCM', iv, additionalData: aad } : { name: 'AES-GCM', iv };
  const sealed = await crypto.subtle.encrypt(params, key, plaintext);
  const payload = new Uint8Array(ivBytes + sealed.byteLength);
  payload.set(iv);
  payload.set(new Uint8Array(sealed), ivBytes);
  return payload;
}

/** The plaintext of IV ‖ ciphertext ‖ tag, or undefined if it is tampered with, from another key or other `aad`. */
export async function decryptBytes(
  key: CryptoKey,
  bytes: Uint8Array<ArrayBuffer>,
  aad?: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (bytes.length < encryptionOverhead) return undefined;
  const iv = bytes.subarray(0, ivBytes);
  const params: AesGcmParams = aad ? { name: 'AES-GCM', iv, additionalData: aad } : { name: 'AES-GCM', iv };
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, key, bytes.subarray(ivBytes)));
  } catch {
    return undefined;
  }
}

/** Encrypts text with a fresh random IV; the payload is base64url(IV ‖ ciphertext ‖ tag). */
export async function encryptText(key: CryptoKey, plaintext: string): Promise<string> {
  return toBase64url(await encryptBytes(key, encoder.encode(plaintext)));
}

/** The plaintext of a payload, or undefined if it is malformed, tampered with or from another key. */
export async function decryptText(key: CryptoKey, payload: string): Promise<string | undefined> {
  const bytes = fromBase64url(payload);
  const opened = bytes && (await decryptBytes(key, bytes));
  if (!opened) return undefined;
  try {
    return decoder.decode(opened);
  } catch {
    return undefined;
  }
}

const signing: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const signatureParams: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/**
 * This tab's signing key pair: made when the room opens, never stored or
 * exported (only its public half travels, inside the encryption).
 */
export class SigningIdentity {
  readonly publicKey: Uint8Array<ArrayBuffer>;
  readonly #privateKey: CryptoKey;

  private constructor(publicKey: Uint8Array<ArrayBuffer>, privateKey: CryptoKey) {
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
  }

  static async create(): Promise<SigningIdentity> {
    const pair = await crypto.subtle.generateKey(signing, false, ['sign', 'verify']);
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return new SigningIdentity(publicKey, pair.privateKey);
  }

  async sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await crypto.subtle.sign(signatureParams, this.#privateKey, data));
  }
}

/** Imported public keys by their bytes in base64url: a peer's key is imported once, not per frame. */
const verifyingKeys = new Map<string, Promise<CryptoKey | undefined>>();
const maxCachedKeys = 4096;

function verifyingKey(publicKey: string, bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey | undefined> {
  let key = verifyingKeys.get(publicKey);
  if (!key) {
    if (verifyingKeys.size >= maxCachedKeys) verifyingKeys.clear();
    key = crypto.subtle.importKey('raw', bytes, signing, false, ['verify']).catch(() => undefined);
    verifyingKeys.set(publicKey, key);
  }
  return key;
}

/** Whether `signature` over `data` was made by the private half of `publicKey` (raw bytes, named by `name`). */
export async function verifySignature(
  name: string,
  publicKey: Uint8Array<ArrayBuffer>,
  signature: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const key = await verifyingKey(name, publicKey);
  if (!key) return false;
  try {
    return await crypto.subtle.verify(signatureParams, key, signature, data);
  } catch {
    return false;
  }
}
