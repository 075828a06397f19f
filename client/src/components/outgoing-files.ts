// Reads what a person chose, pasted or dropped into files ready to send
// (loaded with the first file sent, see Room.svelte): images lose their
// metadata (losslessly for JPEG, PNG, WebP and GIF; AVIF is re-encoded as PNG),
// and every image gets a small preview re-encoded from its pixels, which
// carries nothing else.
import { toBase64url } from '../lib/base64url.ts';
import { detectType } from '../lib/files/detect.ts';
import { fileLimits } from '../lib/files/envelopes.ts';
import type { OutgoingFile } from '../lib/files/files.ts';
import { stripMetadata } from '../lib/files/strip.ts';

const previewEdges = [320, 200, 120];
const previewQualities = [0.7, 0.5];

export interface Prepared {
  file: OutgoingFile;
  /** What the sender is told, once per file. */
  note?: string;
}

/** The bytes of a file, as an image without metadata when it is one and `asFile` is not asked. */
export async function prepareFile(file: File, asFile = false): Promise<Prepared> {
  const original = new Uint8Array(await file.arrayBuffer());
  const name = file.name || 'pasted image';
  const type = detectType(original);
  if (!type.inline) return { file: { name, bytes: original } };
  const preview = await makePreview(original, type.mime);
  if (asFile) return { file: { name, bytes: original, preview }, note: `${name} was sent as a file, untouched.` };
  if (type.mime === 'image/avif') return reencoded(original, type.mime, name, preview);
  const stripped = stripMetadata(original, type.mime);
  if (!stripped) {
    return {
      file: { name, bytes: original, preview },
      note: `${name}: its metadata could not be removed (${type.label}).`,
    };
  }
  const note = stripped.removed ? `Location and camera data were removed from ${name}.` : undefined;
  return { file: { name, bytes: stripped.bytes, preview, stripped: true }, note };
}

/**
 * AVIF carries its metadata in boxes this client does not rewrite, so the
 * image is drawn and sent as a PNG of its pixels instead, upright (the
 * decoder applies the rotation and mirroring), and the sender is told.
 */
async function reencoded(
  original: Uint8Array<ArrayBuffer>,
  mime: string,
  name: string,
  preview: string | undefined,
): Promise<Prepared> {
  const png = await withBitmap(original, mime, (bitmap) => canvasOf(bitmap, 1).convertToBlob({ type: 'image/png' }));
  if (!png)
    return {
      file: { name, bytes: original, preview },
      note: `${name}: its metadata could not be removed (AVIF image).`,
    };
  const renamed = `${name.replace(/\.avif$/i, '')}.png`;
  return {
    file: { name: renamed, bytes: new Uint8Array(await png.arrayBuffer()), preview, stripped: true },
    note: `${name} was re-encoded as PNG (${renamed}) to remove its location and camera data; AVIF cannot be cleaned without that.`,
  };
}

/** Decodes the image and hands it to `use`; undefined if it cannot be decoded. */
async function withBitmap<T>(
  bytes: Uint8Array<ArrayBuffer>,
  mime: string,
  use: (bitmap: ImageBitmap) => Promise<T | undefined>,
): Promise<T | undefined> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes], { type: mime }));
  } catch {
    return undefined;
  }
  try {
    return await use(bitmap);
  } finally {
    bitmap.close();
  }
}

/** The image drawn at `scale` of its size. */
function canvasOf(bitmap: ImageBitmap, scale: number): OffscreenCanvas {
  const canvas = new OffscreenCanvas(
    Math.max(1, Math.round(bitmap.width * scale)),
    Math.max(1, Math.round(bitmap.height * scale)),
  );
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** A small JPEG of the image (upright: the decoder applies the orientation), or undefined if it cannot be drawn. */
function makePreview(bytes: Uint8Array<ArrayBuffer>, mime: string): Promise<string | undefined> {
  return withBitmap(bytes, mime, async (bitmap) => {
    for (const edge of previewEdges) {
      const canvas = canvasOf(bitmap, Math.min(1, edge / Math.max(bitmap.width, bitmap.height)));
      for (const quality of previewQualities) {
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
        if (blob.size <= fileLimits.maxPreviewBytes) return toBase64url(new Uint8Array(await blob.arrayBuffer()));
      }
    }
    return undefined;
  });
}
