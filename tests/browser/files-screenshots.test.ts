// Screenshots of images and files in the conversation, for people to look at
// (tests/output/ is not committed): an image, a file card, a transfer under
// way, in both themes and on a phone-sized screen.
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSession, createRoom, openRoom, send } from '../support/browser.ts';
import { card, choose, drawnImage } from '../support/files.ts';

const outputDir = 'tests/output';
const session = browserSession();
beforeAll(() => mkdirSync(outputDir, { recursive: true }));

/** A friend shares a photo, a PDF and a large file with `reader`; resolves while the large one is still arriving. */
async function sharing(reader: Page, link: string): Promise<void> {
  const friend = await session.browser.person();
  await openRoom(friend, link);
  await send(friend, '/nick Quiet Heron');
  await send(friend, 'Here is the photo from yesterday, and the plan.');
  await choose(friend, 'beach.jpg', await drawnImage(friend, 'image/jpeg', { width: 640, height: 420 }));
  await choose(friend, 'Trip plan (final).pdf', new TextEncoder().encode('%PDF-1.7\n' + 'x'.repeat(180_000)));
  await card(reader, 'Trip plan (final).pdf').getByRole('button', { name: /^Save/ }).waitFor();
  await reader.locator('img.file-image[data-file-id]').waitFor();
  await choose(friend, 'holiday-video.mp4', randomBytes(6 * 1024 * 1024));
  await card(reader, 'holiday-video.mp4').locator('.file-progress').waitFor();
  await reader.waitForFunction(
    () => Number(document.querySelector('.file-progress progress')?.getAttribute('value')) > 1e6,
  );
}

describe('screenshots of images and files', () => {
  for (const [colorScheme, viewport, name] of [
    ['light', { width: 1100, height: 760 }, 'files-light'],
    ['dark', { width: 1100, height: 760 }, 'files-dark'],
    ['light', { width: 390, height: 760 }, 'files-phone'],
  ] as const) {
    it(`draws images, file cards and a transfer under way (${name})`, { timeout: 40_000 }, async () => {
      const reader = await session.browser.person({ colorScheme, viewport });
      const link = await createRoom(reader, session.relay.httpUrl);
      await sharing(reader, link);
      await reader.screenshot({ path: `${outputDir}/${name}.png` });
      expect(await reader.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
      await reader.locator('img.file-image').first().click();
      await reader.locator('dialog.lightbox[open] img').waitFor();
      await reader.screenshot({ path: `${outputDir}/${name}-lightbox.png` });
    });
  }
});
