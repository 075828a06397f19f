// Helpers for browser tests of calls: joining, and reading what a tile plays.
import type { Page } from 'playwright-core';

/** This page's own peer id, read from its own tile once it is in the call. */
export async function ownId(page: Page): Promise<string> {
  const self = page.locator('.call-tile.self');
  await self.waitFor({ timeout: 10_000 });
  return (await self.getAttribute('data-peer')) ?? '';
}

export const remoteTile = (peer: string): string => `.call-tile.person[data-peer="${peer}"]`;

/** Waits until the video of the tile `selector` on `page` has a size and its time advances. */
export async function waitVideoPlaying(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    async (css) => {
      const video = document.querySelector<HTMLVideoElement>(`${css} video`);
      if (!video || video.videoWidth === 0) return false;
      const before = video.currentTime;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return video.currentTime > before;
    },
    selector,
    { timeout: 10_000, polling: 200 },
  );
}

export async function startCall(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await page.locator('.call-tile.self').waitFor({ timeout: 10_000 });
}

export async function joinCall(page: Page, button = 'Join'): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click({ timeout: 10_000 });
  await page.locator('.call-tile.self').waitFor({ timeout: 10_000 });
}
