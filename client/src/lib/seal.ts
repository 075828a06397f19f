// How an envelope travels: signed by its author's tab, padded, and encrypted
// with additional data that binds it to its context, so that the relay cannot
// re-attribute it, move it to another room or turn a unicast into a broadcast.
//
// Payload text: one scope character, then base64url(IV ‖ AES-GCM(plaintext, aad) ‖ tag).
// plaintext:    signature(64) ‖ public key(65) ‖ counter(8) ‖ length(4) ‖ envelope JSON ‖ zero padding
// aad:          "onetimechat p<protocol> e<envelope>" \n scope \n room id \n sender id \n recipient id (or "")
// The signature (ECDSA P-256, SHA-256) covers aad ‖ public key ‖ counter ‖ length ‖ envelope JSON.
import { PROTOCOL_VERSION, type PeerId } from '../../../protocol/index.ts';
import { fromBase64url, toBase64url } from './base64url.ts';
import {
  decryptBytes,
  encryptBytes,
  encryptionOverhead,
  publicKeyBytes,
  scopeMarkerLength,
  sealHeaderBytes,
  signatureBytes,
  verifySignature,
  type SigningIdentity,
} from './crypto.ts';
import { ENVELOPE_VERSION } from './envelope-fields.ts';

/** Whom a payload is for: the whole room, one peer, or the relay's `fetch` (a summary). */
export type Scope = 'room' | 'peer' | 'fetch';

const markers: Record<Scope, string> = { room: 'r', peer: 'u', fetch: 's' };

export interface SealContext {
  roomId: string;
  /** The sender's peer id, as the relay will stamp it. */
  from: PeerId;
  scope: Scope;
  /** The recipient of a `peer` payload. */
  to?: PeerId;
}

export interface Opened {
  envelopeJson: string;
  /** The author's public key, base64url: who signed, whatever id the relay stamped. */
  publicKey: string;
  counter: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const signedStart = signatureBytes;
const counterAt = signatureBytes + publicKeyBytes;
const lengthAt = counterAt + 8;

export function additionalData({ roomId, from, scope, to }: SealContext): Uint8Array<ArrayBuffer> {
  return encoder.encode(
    `onetimechat p${PROTOCOL_VERSION} e${ENVELOPE_VERSION}\n${scope}\n${roomId}\n${from}\n${to ?? ''}`,
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** The most plaintext bytes a payload of `maxPayload` characters can carry. */
function maxPlaintext(maxPayload: number): number {
  return Math.floor(((maxPayload - scopeMarkerLength) * 3) / 4) - encryptionOverhead;
}

/**
 * The size `bytes` of plaintext is padded to, so that lengths on the wire say
 * little: 256 bytes at least, then powers of two up to 4 KiB, then whole 4 KiB
 * steps; never beyond what `maxPayload` carries.
 */
export function paddedLength(bytes: number, maxPayload: number): number {
  const step = 4096;
  const bucket = bytes <= step ? Math.max(256, 2 ** Math.ceil(Math.log2(bytes))) : Math.ceil(bytes / step) * step;
  return Math.max(bytes, Math.min(bucket, maxPlaintext(maxPayload)));
}

/** Signs, pads and encrypts an envelope's JSON for `context`. */
export async function seal(
  key: CryptoKey,
  identity: SigningIdentity,
  counter: number,
  envelopeJson: string,
  context: SealContext,
  maxPayload: number,
): Promise<string> {
  const envelope = encoder.encode(envelopeJson);
  const signedLength = sealHeaderBytes - signatureBytes + envelope.length;
  const plaintext = new Uint8Array(paddedLength(sealHeaderBytes + envelope.length, maxPayload));
  plaintext.set(identity.publicKey, signedStart);
  const view = new DataView(plaintext.buffer);
  view.setFloat64(counterAt, counter);
  view.setUint32(lengthAt, envelope.length);
  plaintext.set(envelope, sealHeaderBytes);
  const aad = additionalData(context);
  const signature = await identity.sign(concat(aad, plaintext.subarray(signedStart, signedStart + signedLength)));
  plaintext.set(signature, 0);
  return markers[context.scope] + toBase64url(await encryptBytes(key, plaintext, aad));
}

/** The scope a payload's first character claims; the tag check makes a false claim fail. */
export function scopeOf(payload: string): Scope | undefined {
  const marker = payload.charAt(0);
  return (Object.keys(markers) as Scope[]).find((scope) => markers[scope] === marker);
}

/**
 * Opens a payload sealed for `context`; undefined if it was sealed for any
 * other room, sender, scope or recipient, tampered with, or not signed by the
 * key it carries. Never throws.
 */
export async function open(key: CryptoKey, payload: string, context: SealContext): Promise<Opened | undefined> {
  if (scopeOf(payload) !== context.scope) return undefined;
  const bytes = fromBase64url(payload.slice(scopeMarkerLength));
  const aad = additionalData(context);
  const plaintext = bytes && (await decryptBytes(key, bytes, aad));
  if (!plaintext || plaintext.length < sealHeaderBytes) return undefined;
  const view = new DataView(plaintext.buffer, plaintext.byteOffset);
  const length = view.getUint32(lengthAt);
  const counter = view.getFloat64(counterAt);
  if (sealHeaderBytes + length > plaintext.length || !Number.isSafeInteger(counter) || counter < 1) return undefined;
  const publicKey = plaintext.slice(signedStart, counterAt);
  const name = toBase64url(publicKey);
  const signed = concat(aad, plaintext.subarray(signedStart, sealHeaderBytes + length));
  if (!(await verifySignature(name, publicKey, plaintext.slice(0, signatureBytes), signed))) return undefined;
  try {
    const envelopeJson = decoder.decode(plaintext.subarray(sealHeaderBytes, sealHeaderBytes + length));
    return { envelopeJson, publicKey: name, counter };
  } catch {
    return undefined;
  }
}
