// File content encryption. Each file has its own random AES-GCM-256 key; each
// chunk gets a fresh random IV, and its additional data binds the file id,
// the chunk's index and whether it is the last one, so chunks cannot be
// reordered, moved to another file, repeated, or the file cut short or
// extended without a chunk failing to open or the file never completing.
import { fromBase64url, toBase64url } from '../base64url.ts';
import { base64urlLength } from '../crypto.ts';
import { payloadLength } from '../envelope-fields.ts';
import { utf8Length } from '../../../../protocol/index.ts';
import type { FileEnvelope } from './envelopes.ts';

const ivBytes = 12;
const tagBytes = 16;
const keyBytes = 32;
const encoder = new TextEncoder();

export interface ChunkPosition {
  fileId: string;
  index: number;
  last: boolean;
}

/** A new random file id: 128 bits, base64url. */
export function newFileId(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** A new random file key, as it travels in the announcement. */
export function newFileKey(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(keyBytes)));
}

export function importFileKey(key: string): Promise<CryptoKey> {
  const raw = fromBase64url(key);
  if (!raw || raw.length !== keyBytes) throw new Error('not a file key');
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function additionalData({ fileId, index, last }: ChunkPosition): Uint8Array<ArrayBuffer> {
  return encoder.encode(`onetimechat v1 file chunk\0${fileId}\0${index}\0${last ? 1 : 0}`);
}

/** base64url(IV ‖ ciphertext ‖ tag) of one chunk. */
export async function sealChunk(
  key: CryptoKey,
  position: ChunkPosition,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(ivBytes));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(position) },
    key,
    plaintext,
  );
  const out = new Uint8Array(ivBytes + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), ivBytes);
  return toBase64url(out);
}

/** The plaintext of a chunk, or undefined if it does not belong at this position of this file under this key. */
export async function openChunk(
  key: CryptoKey,
  position: ChunkPosition,
  data: string,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const bytes = fromBase64url(data);
  if (!bytes || bytes.length < ivBytes + tagBytes) return undefined;
  try {
    const opened = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(0, ivBytes), additionalData: additionalData(position) },
      key,
      bytes.subarray(ivBytes),
    );
    return new Uint8Array(opened);
  } catch {
    return undefined;
  }
}

export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/** The widest chunk envelope: a 22-character id, a large index, the last flag false. */
function chunkEnvelopeBytes(chunkSize: number): number {
  const envelope: FileEnvelope = {
    v: 1,
    kind: 'file-chunk',
    id: 'x'.repeat(22),
    index: 2 ** 31,
    last: false,
    data: '',
  };
  return utf8Length(JSON.stringify(envelope)) + base64urlLength(chunkSize + ivBytes + tagBytes);
}

/** The largest chunk size (a multiple of 1 KiB) whose envelope, encrypted again with the room key, fits `maxPayload`. */
export function chunkSizeFor(maxPayload: number): number {
  let size = Math.floor((maxPayload * 9) / 16 / 1024) * 1024;
  while (size > 1024 && payloadLength(chunkEnvelopeBytes(size)) > maxPayload) size -= 1024;
  return size;
}
