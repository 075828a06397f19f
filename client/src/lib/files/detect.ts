// What a file is, read from its first bytes: the declared name and MIME type
// are the sender's word and decide nothing. Only the raster types below are
// ever shown inline; everything else is offered for saving only.

export type InlineImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'image/avif';

export interface DetectedType {
  /** The MIME type the content is. */
  mime: string;
  /** Shown inline as an image. */
  inline: boolean;
  /** A short word for people, e.g. "PNG image". */
  label: string;
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

const rasters: { mime: InlineImageType; label: string; matches(bytes: Uint8Array): boolean }[] = [
  {
    mime: 'image/png',
    label: 'PNG image',
    matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  { mime: 'image/jpeg', label: 'JPEG image', matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { mime: 'image/gif', label: 'GIF image', matches: (b) => ['GIF87a', 'GIF89a'].includes(ascii(b, 0, 6)) },
  { mime: 'image/webp', label: 'WebP image', matches: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  {
    mime: 'image/avif',
    label: 'AVIF image',
    matches: (b) => ascii(b, 4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(b, 8, 12)),
  },
];

const others: { mime: string; label: string; matches(bytes: Uint8Array): boolean }[] = [
  { mime: 'application/pdf', label: 'PDF document', matches: (b) => ascii(b, 0, 5) === '%PDF-' },
  { mime: 'application/zip', label: 'ZIP archive', matches: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) },
  { mime: 'application/gzip', label: 'gzip archive', matches: (b) => startsWith(b, [0x1f, 0x8b]) },
];

/** Markup that a browser would run or render: never shown, whatever it is called. */
const markup = /^\s*(<\?xml|<!doctype|<svg|<html|<script|<!--)/i;

export function detectType(bytes: Uint8Array): DetectedType {
  for (const { mime, label, matches } of [...rasters, ...others]) {
    if (matches(bytes)) return { mime, label, inline: isInlineType(mime) };
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).replace(/^\uFEFF/, '');
  if (markup.test(head)) {
    const label = /<svg/i.test(head) ? 'SVG image (not shown)' : 'Markup document (not shown)';
    return { mime: 'application/octet-stream', label, inline: false };
  }
  return { mime: 'application/octet-stream', label: 'File', inline: false };
}

/** Whether a MIME type is one of the raster types shown inline (the bytes decide, once they are here). */
export function isInlineType(mime: string): boolean {
  return rasters.some((raster) => raster.mime === mime);
}
