// Removes metadata from JPEG, PNG, WebP and GIF without touching the pixels:
// the segments, chunks and extensions that carry EXIF (GPS position, camera,
// time, thumbnail), XMP, IPTC and comments are dropped. The EXIF orientation
// is kept, alone in a minimal EXIF block, so that a photo does not turn
// sideways. AVIF has no lossless path here (see outgoing-files.ts).

export interface Stripped {
  bytes: Uint8Array<ArrayBuffer>;
  /** Whether anything was removed. */
  removed: boolean;
}

/** EXIF orientations 2 to 8 rotate or mirror; 1 (or none) is upright. */
type Orientation = number;

const tiffOrientationTag = 0x0112;
const tiffShort = 3;
const exifHeader = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

function u16(bytes: Uint8Array, at: number, little = false): number {
  return little ? bytes[at]! | (bytes[at + 1]! << 8) : (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number, little = false): number {
  return little
    ? (u16(bytes, at + 2, true) * 0x10000 + u16(bytes, at, true)) >>> 0
    : (u16(bytes, at) * 0x10000 + u16(bytes, at + 2)) >>> 0;
}

/** The orientation in a TIFF structure (the body of EXIF), if it has a valid one. */
export function tiffOrientation(tiff: Uint8Array): Orientation | undefined {
  if (tiff.length < 8) return undefined;
  const order = String.fromCharCode(tiff[0]!, tiff[1]!);
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  if (u16(tiff, 2, little) !== 42) return undefined;
  const ifd = u32(tiff, 4, little);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = u16(tiff, ifd, little);
  for (let i = 0; i < entries; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > tiff.length) return undefined;
    if (u16(tiff, at, little) !== tiffOrientationTag || u16(tiff, at + 2, little) !== tiffShort) continue;
    const value = u16(tiff, at + 8, little);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}

/** A TIFF structure holding the orientation and nothing else. */
function orientationOnlyTiff(orientation: Orientation): Uint8Array<ArrayBuffer> {
  // prettier-ignore
  return new Uint8Array([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF, first IFD at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, tiffShort, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function startsWithAscii(bytes: Uint8Array, text: string): boolean {
  return text.length <= bytes.length && [...text].every((char, i) => bytes[i] === char.charCodeAt(0));
}

// --- JPEG ---

const jpeg = { soi: 0xd8, sos: 0xda, eoi: 0xd9, app0: 0xe0, app1: 0xe1, app2: 0xe2, app14: 0xee, com: 0xfe };

function jpegSegment(marker: number, body: Uint8Array): Uint8Array {
  const length = body.length + 2;
  return concat([new Uint8Array([0xff, marker, length >> 8, length & 0xff]), body]);
}

/** What to keep of an application segment or comment: the segment itself, a replacement, or nothing. */
function keptJpegSegment(marker: number, segment: Uint8Array, body: Uint8Array): Uint8Array | undefined {
  if (marker === jpeg.app0 && startsWithAscii(body, 'JFIF\0') && body.length >= 14) {
    // JFIF without its thumbnail.
    return jpegSegment(marker, concat([body.subarray(0, 12), new Uint8Array([0, 0])]));
  }
  if (marker === jpeg.app1 && startsWithAscii(body, 'Exif\0\0')) {
    const orientation = tiffOrientation(body.subarray(6));
    if (orientation === undefined || orientation === 1) return undefined;
    return jpegSegment(marker, concat([new Uint8Array(exifHeader), orientationOnlyTiff(orientation)]));
  }
  // Colour profiles and Adobe's colour transform change how the pixels look.
  if (marker === jpeg.app2 && startsWithAscii(body, 'ICC_PROFILE\0')) return segment;
  if (marker === jpeg.app14 && startsWithAscii(body, 'Adobe')) return segment;
  return undefined;
}

function isMetadataMarker(marker: number): boolean {
  return (marker >= jpeg.app0 && marker <= 0xef) || marker === jpeg.com;
}

/** The JPEG without metadata, or undefined if it is not a well-formed JPEG. */
export function stripJpeg(bytes: Uint8Array): Stripped | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== jpeg.soi) return undefined;
  const parts: Uint8Array[] = [bytes.subarray(0, 2)];
  let removed = false;
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    let markerAt = at + 1;
    while (bytes[markerAt] === 0xff) markerAt++;
    const marker = bytes[markerAt];
    if (marker === undefined) return undefined;
    // From the first scan on, the rest is image data: kept as it is.
    if (marker === jpeg.sos || marker === jpeg.eoi) {
      parts.push(bytes.subarray(at));
      return { bytes: concat(parts), removed };
    }
    if (markerAt + 3 > bytes.length) return undefined;
    const end = markerAt + 1 + u16(bytes, markerAt + 1);
    if (end > bytes.length || end < markerAt + 3) return undefined;
    const segment = bytes.subarray(at, end);
    if (isMetadataMarker(marker)) {
      const kept = keptJpegSegment(marker, segment, bytes.subarray(markerAt + 3, end));
      if (kept !== segment) removed = true;
      if (kept) parts.push(kept);
    } else {
      parts.push(segment);
    }
    at = end;
  }
  return undefined;
}

// --- PNG ---

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunks that carry text, XMP (iTXt), EXIF or a time stamp. */
const pngMetadataChunks = new Set(['tEXt', 'zTXt', 'iTXt', 'tIME', 'eXIf']);

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function pngChunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const typed = concat([new Uint8Array([...type].map((char) => char.charCodeAt(0))), data]);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(typed, 4);
  view.setUint32(8 + data.length, crc32(typed));
  return out;
}

/** The PNG without metadata chunks, or undefined if it is not a well-formed PNG. */
export function stripPng(bytes: Uint8Array): Stripped | undefined {
  if (!pngSignature.every((byte, i) => bytes[i] === byte)) return undefined;
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let removed = false;
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = u32(bytes, at);
    const end = at + 12 + length;
    if (end > bytes.length) return undefined;
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!pngMetadataChunks.has(type)) {
      parts.push(bytes.subarray(at, end));
    } else {
      removed = true;
      const orientation = type === 'eXIf' ? tiffOrientation(bytes.subarray(at + 8, at + 8 + length)) : undefined;
      if (orientation !== undefined && orientation !== 1)
        parts.push(pngChunk('eXIf', orientationOnlyTiff(orientation)));
    }
    at = end;
    if (type === 'IEND') return { bytes: concat(parts), removed: removed || at < bytes.length };
  }
  return undefined;
}

// --- WebP ---

const webpFlags = { exif: 0x08, xmp: 0x04 };
/** The chunks that make the picture; EXIF, XMP and anything unknown (which decoders skip) are left out. */
const webpImageChunks = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);

function ascii4(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

function webpChunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set([...type].map((char) => char.charCodeAt(0)));
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

/**
 * The WebP without its EXIF, XMP and unknown chunks, and VP8X's flags for them
 * cleared (set again for EXIF when an orientation is kept), or undefined if
 * it is not a well-formed WebP.
 */
export function stripWebp(bytes: Uint8Array): Stripped | undefined {
  if (bytes.length < 12 || ascii4(bytes, 0) !== 'RIFF' || ascii4(bytes, 8) !== 'WEBP') return undefined;
  const riffEnd = 8 + u32(bytes, 4, true);
  if (riffEnd > bytes.length) return undefined;
  const chunks: { type: string; chunk: Uint8Array }[] = [];
  let orientation: Orientation | undefined;
  let removed = riffEnd < bytes.length;
  for (let at = 12; at < riffEnd;) {
    if (at + 8 > riffEnd) return undefined;
    const type = ascii4(bytes, at);
    const length = u32(bytes, at + 4, true);
    const end = at + 8 + length + (length & 1);
    if (at + 8 + length > riffEnd) return undefined;
    const chunk = bytes.subarray(at, Math.min(end, riffEnd));
    if (type === 'EXIF') {
      const data = chunk.subarray(8, 8 + length);
      // Some writers put JPEG's "Exif\0\0" before the TIFF structure.
      orientation = tiffOrientation(startsWithAscii(data, 'Exif\0\0') ? data.subarray(6) : data);
      removed = true;
    } else if (webpImageChunks.has(type)) {
      chunks.push({ type, chunk });
    } else {
      removed = true;
    }
    at = end;
  }
  const kept = orientation !== undefined && orientation !== 1 ? orientation : undefined;
  const parts: Uint8Array[] = [];
  for (const { type, chunk } of chunks) {
    if (type !== 'VP8X' || chunk.length < 9) {
      parts.push(chunk);
      continue;
    }
    const vp8x = chunk.slice();
    const flags = (vp8x[8]! & ~(webpFlags.exif | webpFlags.xmp)) | (kept === undefined ? 0 : webpFlags.exif);
    if (flags !== vp8x[8]) removed = true;
    vp8x[8] = flags;
    parts.push(vp8x);
  }
  // EXIF comes after the image data in the container's order; without VP8X no reader looks for it.
  const extended = chunks.some(({ type }) => type === 'VP8X');
  if (kept !== undefined && extended) parts.push(webpChunk('EXIF', orientationOnlyTiff(kept)));
  const body = concat(parts);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 12));
  new DataView(header.buffer).setUint32(4, body.length + 4, true);
  return { bytes: concat([header, body]), removed };
}

// --- GIF ---

const gif = { extension: 0x21, image: 0x2c, trailer: 0x3b, comment: 0xfe, application: 0xff };
/** Application extensions that change how the image plays or looks: looping, and a colour profile. */
const keptGifApplications = ['NETSCAPE2.0', 'ANIMEXTS1.0', 'ICCRGBG1012'];

/** Where the data sub-blocks starting at `at` end (after their terminator), or undefined past the end. */
function gifSubBlocksEnd(bytes: Uint8Array, at: number): number | undefined {
  while (at < bytes.length) {
    const size = bytes[at]!;
    at += 1 + size;
    if (size === 0) return at;
  }
  return undefined;
}

function gifColorTableBytes(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
}

/**
 * The GIF without comments and application extensions other than looping
 * and colour (XMP rides in one), or undefined if it is not a well-formed GIF.
 */
export function stripGif(bytes: Uint8Array): Stripped | undefined {
  if (!startsWithAscii(bytes, 'GIF87a') && !startsWithAscii(bytes, 'GIF89a')) return undefined;
  if (bytes.length < 13) return undefined;
  let at = 13 + gifColorTableBytes(bytes[10]!);
  const parts: Uint8Array[] = [bytes.subarray(0, at)];
  let removed = false;
  while (at < bytes.length) {
    const introducer = bytes[at]!;
    if (introducer === gif.trailer) {
      parts.push(bytes.subarray(at, at + 1));
      return { bytes: concat(parts), removed: removed || at + 1 < bytes.length };
    }
    let end: number | undefined;
    let keep = true;
    if (introducer === gif.extension) {
      const label = bytes[at + 1];
      end = gifSubBlocksEnd(bytes, at + 2);
      if (label === gif.comment) keep = false;
      if (label === gif.application) {
        const identifier = bytes[at + 2] === 11 ? String.fromCharCode(...bytes.subarray(at + 3, at + 14)) : '';
        keep = keptGifApplications.includes(identifier);
      }
    } else if (introducer === gif.image) {
      if (at + 10 > bytes.length) return undefined;
      // Descriptor, local colour table, LZW code size, then the data sub-blocks.
      end = gifSubBlocksEnd(bytes, at + 10 + gifColorTableBytes(bytes[at + 9]!) + 1);
    } else {
      return undefined;
    }
    if (end === undefined || end > bytes.length) return undefined;
    if (keep) parts.push(bytes.subarray(at, end));
    else removed = true;
    at = end;
  }
  return undefined;
}

/** Metadata removed losslessly where the format allows it; undefined for other types or malformed files. */
export function stripMetadata(bytes: Uint8Array, mime: string): Stripped | undefined {
  if (mime === 'image/jpeg') return stripJpeg(bytes);
  if (mime === 'image/png') return stripPng(bytes);
  if (mime === 'image/webp') return stripWebp(bytes);
  if (mime === 'image/gif') return stripGif(bytes);
  return undefined;
}
