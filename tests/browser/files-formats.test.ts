// Metadata removal on a WebP the browser itself drew: EXIF (camera, GPS) and
// XMP spliced into it come off before it leaves, and the picture the other
// tab receives still decodes, at its size.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSession, createRoom, openRoom } from '../support/browser.ts';
import { card, choose } from '../support/files.ts';
import { cameraTiff, metadataLeft, riffChunk, webpFlag, xmp } from '../support/image-fixtures.ts';

const session = browserSession();
let alice: Page;
let bob: Page;
const size = { width: 40, height: 30 };

/** A WebP drawn by the browser. */
async function drawnWebp(page: Page): Promise<Uint8Array> {
  const bytes = await page.evaluate(async ({ width, height }) => {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#5fa8e8';
    context.fillRect(0, 0, width, height);
    context.fillStyle = '#f0c040';
    context.fillRect(0, 0, width / 2, height / 2);
    const blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.9 });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, size);
  return new Uint8Array(bytes);
}

/** The chunks that hold the picture: all of them but the browser's own VP8X, if it wrote one. */
function imageChunks(webp: Uint8Array): Uint8Array {
  return webp.subarray(String.fromCharCode(...webp.subarray(12, 16)) === 'VP8X' ? 30 : 12);
}

/** The same image in the extended format, with EXIF and XMP as an editor writes them. */
function withWebpMetadata(drawn: Uint8Array): Uint8Array {
  const extended = String.fromCharCode(...drawn.subarray(12, 16)) === 'VP8X';
  const flags = (extended ? drawn[20]! : 0) | webpFlag.exif | webpFlag.xmp;
  const le24 = (value: number) => [value & 0xff, (value >> 8) & 0xff, value >> 16];
  const vp8x = new Uint8Array([flags, 0, 0, 0, ...le24(size.width - 1), ...le24(size.height - 1)]);
  const body = [
    ...new TextEncoder().encode('WEBP'),
    ...riffChunk('VP8X', vp8x),
    ...imageChunks(drawn),
    ...riffChunk('EXIF', cameraTiff(1)),
    ...riffChunk('XMP ', new TextEncoder().encode(xmp)),
  ];
  const length = body.length;
  return new Uint8Array([
    0x52,
    0x49,
    0x46,
    0x46,
    length & 0xff,
    (length >> 8) & 0xff,
    (length >> 16) & 0xff,
    length >>> 24,
    ...body,
  ]);
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([session.browser.person(), session.browser.person({ bypassCSP: true })]);
  const link = await createRoom(alice, session.relay.httpUrl);
  await openRoom(bob, link);
});

describe('metadata removal in the browser', () => {
  it('a WebP with EXIF and XMP arrives without them and still decodes at its size', async () => {
    const drawn = await drawnWebp(alice);
    const photo = withWebpMetadata(drawn);
    expect(metadataLeft(photo)).not.toEqual([]);
    await choose(alice, 'photo.webp', photo);
    await alice.getByText('Location and camera data were removed from photo.webp.').waitFor();
    const image = card(bob, 'photo.webp').locator('img.file-image[data-file-id]');
    await image.waitFor({ timeout: 20_000 });
    await bob.waitForFunction(
      () => document.querySelector<HTMLImageElement>('img.file-image[data-file-id]')?.complete === true,
    );
    const shown = await image.evaluate(async (element: HTMLImageElement) => ({
      width: element.naturalWidth,
      height: element.naturalHeight,
      bytes: [...new Uint8Array(await (await fetch(element.src)).arrayBuffer())],
    }));
    expect({ width: shown.width, height: shown.height }).toEqual(size);
    const received = new Uint8Array(shown.bytes);
    expect(metadataLeft(received)).toEqual([]);
    // The image data itself is the browser's, byte for byte.
    expect(Buffer.from(received).includes(Buffer.from(imageChunks(drawn)))).toBe(true);
  });
});
