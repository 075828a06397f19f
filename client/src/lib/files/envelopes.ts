// The file kinds: what announces a file (carried inside a chat message, so it
// has its place in the history and reaches newcomers with it), its encrypted
// chunks, a newcomer's request for the content, and a cancel.
import { isRecord, type EnvelopeDecoders } from '../envelope-fields.ts';
import { fromBase64url } from '../base64url.ts';

export const fileLimits = {
  /** Largest file one may send or receive. */
  maxFileBytes: 25 * 1024 * 1024,
  /** Received file data one tab holds; the oldest is released first. */
  maxReceivedBytes: 256 * 1024 * 1024,
  /** A transfer with no chunk for this long is dropped. */
  stallMs: 30_000,
  /** Largest inline preview carried with the announcement. */
  maxPreviewBytes: 24 * 1024,
  minChunkBytes: 1024,
  maxChunkBytes: 8 * 1024 * 1024,
  maxFileNameLength: 255,
};

/** What a receiver needs to fetch, check and show a file; encrypted with the room key like any message. */
export interface FileAnnouncement {
  /** 128 random bits, base64url. */
  id: string;
  name: string;
  size: number;
  /** The sender's reading of the content's type; receivers read the bytes again. */
  type: string;
  chunkSize: number;
  /** The file's own AES-GCM-256 key, base64url. */
  key: string;
  /** SHA-256 of the whole plaintext, base64url. */
  hash: string;
  /** A small image (base64url) shown until the content arrives. */
  preview?: string;
  /** Whether metadata was removed before sending. */
  stripped?: boolean;
}

export type ChunkRange = [first: number, last: number];

/** Ranges a request may name; a receiver missing more asks again once these arrived. */
export const maxRequestedRanges = 32;

function toRanges(value: unknown): ChunkRange[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > maxRequestedRanges) return undefined;
  const ranges = value.filter(
    (range): range is ChunkRange =>
      Array.isArray(range) &&
      range.length === 2 &&
      isCount(range[0], 0, 2 ** 31) &&
      isCount(range[1], range[0], 2 ** 31),
  );
  return ranges.length === value.length ? ranges : undefined;
}

export type FileEnvelope =
  | { v: 1; kind: 'file-chunk'; id: string; index: number; last: boolean; data: string }
  /**
   * A newcomer (or a retry) asks the author for a file's content; a receiver
   * that lost chunks (its connection dropped for a moment) names the ranges
   * of indexes it lacks, each [first, last].
   */
  | { v: 1; kind: 'file-request'; id: string; missing?: ChunkRange[] }
  /** From the author: the transfer stops. From a receiver: stop sending it to me. */
  | { v: 1; kind: 'file-cancel'; id: string };

const fileIdPattern = /^[A-Za-z0-9_-]{22}$/;
const base64url32Pattern = /^[A-Za-z0-9_-]{43}$/;
const mimePattern = /^[a-z0-9.+-]{1,40}\/[a-z0-9.+-]{1,60}$/;

export function isFileId(value: unknown): value is string {
  return typeof value === 'string' && fileIdPattern.test(value);
}

function isCount(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** How many chunks a file of `size` bytes travels in (an empty file still sends one). */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

function isPreview(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const bytes = fromBase64url(value);
  return bytes !== undefined && bytes.length > 0 && bytes.length <= fileLimits.maxPreviewBytes;
}

/** The announcement in an untrusted value, or undefined. */
export function toFileAnnouncement(value: unknown): FileAnnouncement | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, size, type, chunkSize, key, hash, preview, stripped } = value;
  if (!isFileId(id) || typeof name !== 'string' || name.length === 0) return undefined;
  if (name.length > fileLimits.maxFileNameLength) return undefined;
  if (
    !isCount(size, 0, Number.MAX_SAFE_INTEGER) ||
    !isCount(chunkSize, fileLimits.minChunkBytes, fileLimits.maxChunkBytes)
  ) {
    return undefined;
  }
  if (typeof type !== 'string' || !mimePattern.test(type)) return undefined;
  if (typeof key !== 'string' || !base64url32Pattern.test(key)) return undefined;
  if (typeof hash !== 'string' || !base64url32Pattern.test(hash)) return undefined;
  if (preview !== undefined && !isPreview(preview)) return undefined;
  if (stripped !== undefined && typeof stripped !== 'boolean') return undefined;
  const announcement: FileAnnouncement = { id, name, size, type, chunkSize, key, hash };
  if (preview !== undefined) announcement.preview = preview;
  if (stripped) announcement.stripped = true;
  return announcement;
}

/** Base64url of a chunk of at most `maxChunkBytes` plus the IV and tag. */
const maxChunkData = Math.ceil(((fileLimits.maxChunkBytes + 28) * 4) / 3);

export const fileDecoders: EnvelopeDecoders<FileEnvelope> = {
  'file-chunk'(value) {
    const { id, index, last, data } = value;
    if (!isFileId(id) || !isCount(index, 0, 2 ** 31) || typeof last !== 'boolean') return undefined;
    if (typeof data !== 'string' || data.length === 0 || data.length > maxChunkData) return undefined;
    return { v: 1, kind: 'file-chunk', id, index, last, data };
  },
  'file-request'(value) {
    if (!isFileId(value.id)) return undefined;
    if (value.missing === undefined) return { v: 1, kind: 'file-request', id: value.id };
    const missing = toRanges(value.missing);
    return missing && { v: 1, kind: 'file-request', id: value.id, missing };
  },
  'file-cancel'(value) {
    return isFileId(value.id) ? { v: 1, kind: 'file-cancel', id: value.id } : undefined;
  },
};
