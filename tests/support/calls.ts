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

/** Keeps every RTCPeerConnection the page creates in `window.connections`, for counting them and reading their statistics. */
export function recordConnections(): void {
  const Native = window.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  (window as unknown as { connections: RTCPeerConnection[] }).connections = all;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      all.push(this);
    }
  };
}

/** How many of the page's recorded connections are not closed. */
export function openConnections(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (window as unknown as { connections: RTCPeerConnection[] }).connections.filter(
        (pc) => pc.connectionState !== 'closed',
      ).length,
  );
}

/** Bytes the page has sent as media over its open connections. */
export function bytesSent(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let sum = 0;
    for (const pc of (window as unknown as { connections: RTCPeerConnection[] }).connections) {
      if (pc.connectionState === 'closed') continue;
      for (const report of (await pc.getStats()).values())
        if (report.type === 'outbound-rtp') sum += (report as { bytesSent: number }).bytesSent;
    }
    return sum;
  });
}
