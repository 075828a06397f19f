// Helpers for browser tests of images and files: a real image drawn by the
// browser, choosing files as a person does, and finding a file's card.
import type { Locator, Page } from 'playwright-core';

/** A real image drawn by the browser, as bytes. */
export async function drawnImage(
  page: Page,
  type: 'image/jpeg' | 'image/png',
  size = { width: 64, height: 48 },
): Promise<Uint8Array> {
  const bytes = await page.evaluate(
    async ({ mime, width, height }) => {
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d')!;
      context.fillStyle = '#5fa8e8';
      context.fillRect(0, 0, width, height);
      context.fillStyle = '#e8cf8a';
      context.fillRect(0, height * 0.65, width, height * 0.35);
      context.fillStyle = '#f0c040';
      context.beginPath();
      context.arc(width * 0.75, height * 0.28, height * 0.12, 0, 2 * Math.PI);
      context.fill();
      const blob = await canvas.convertToBlob({ type: mime });
      return [...new Uint8Array(await blob.arrayBuffer())];
    },
    { mime: type, ...size },
  );
  return new Uint8Array(bytes);
}

/** Picks files with the attach button's file chooser. */
export async function choose(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  await page
    .locator('[data-testid="attach-input"]')
    .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
}

/** The card of the file called `name` in the conversation. */
export function card(page: Page, name: string): Locator {
  return page.locator('.messages .file').filter({ has: page.locator('.file-name', { hasText: name }) });
}
