// Calls between real browsers through the real relay: fake camera and
// microphone, loopback candidates only, no STUN or TURN. Each check reads the
// media itself (frames decoded, sound in an analyser), not just the DOM.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSession, createRoom, mediaArgs, openRoom } from '../support/browser.ts';

const session = browserSession({ browserArgs: mediaArgs });
/** Every WebSocket frame any page in this file sent or received. */
const frames: string[] = [];

async function person(): Promise<Page> {
  const page = await session.browser.person();
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => frames.push(String(frame.payload)));
    socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
  });
  return page;
}

/** People in one room, the first having created it. */
async function room(count: number): Promise<Page[]> {
  const first = await person();
  const link = await createRoom(first, session.relay.httpUrl);
  const others = await Promise.all(Array.from({ length: count - 1 }, () => person()));
  await Promise.all(others.map((page) => openRoom(page, link)));
  return [first, ...others];
}

function tile(page: Page, of: Page): Promise<string> {
  return of.evaluate(() => document.querySelector('.call-tile.self')?.getAttribute('data-peer') ?? '');
}

/** Waits until the remote video of `peer` on `page` has a size and its time advances. */
async function waitVideoPlaying(page: Page, selector: string): Promise<void> {
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

/** Sound is this loud (RMS); the fake microphone's tone is far above it and silence is 0. */
const heard = 0.01;

/**
 * The loudest RMS level of the audio a tile receives, measured with an
 * AnalyserNode on the received track for `ms`, or until it is above `heard`.
 */
function audioLevel(page: Page, selector: string, ms = 3000): Promise<number> {
  return page.evaluate(
    async ({ css, ms, heard }) => {
      const audio = document.querySelector<HTMLAudioElement>(`${css} audio`);
      const stream = audio?.srcObject;
      if (!(stream instanceof MediaStream) || stream.getAudioTracks().length === 0) return -1;
      const context = new AudioContext();
      await context.resume();
      const analyser = context.createAnalyser();
      context.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let loudest = 0;
      const end = performance.now() + ms;
      while (performance.now() < end && loudest <= heard) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const sample of samples) sum += sample * sample;
        loudest = Math.max(loudest, Math.sqrt(sum / samples.length));
      }
      await context.close();
      return loudest;
    },
    { css: selector, ms, heard },
  );
}

const remoteTile = (peer: string): string => `.call-tile.person[data-peer="${peer}"]`;

async function expectMediaFlows(pages: Page[]): Promise<void> {
  const ids = await Promise.all(pages.map((page) => tile(page, page)));
  for (const [index, page] of pages.entries()) {
    for (const [other, id] of ids.entries()) {
      if (other === index) continue;
      await waitVideoPlaying(page, remoteTile(id));
      expect(await audioLevel(page, remoteTile(id))).toBeGreaterThan(heard);
    }
  }
}

async function startCall(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await page.locator('.call-tile.self').waitFor({ timeout: 10_000 });
}

async function joinCall(page: Page, button = 'Join'): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click({ timeout: 10_000 });
  await page.locator('.call-tile.self').waitFor({ timeout: 10_000 });
}

describe('calls', () => {
  it('two people see and hear each other', async () => {
    const [alice, bob] = await room(2);
    await startCall(alice!);
    await joinCall(bob!);
    await expectMediaFlows([alice!, bob!]);
  });

  it('never puts SDP, candidates or call state on the wire in clear', () => {
    expect(frames.length).toBeGreaterThan(10);
    for (const frame of frames) {
      for (const secret of ['v=0', 'a=fingerprint', 'candidate:', 'ufrag', '"kind":"call"', 'sdp']) {
        expect(frame).not.toContain(secret);
      }
    }
  });
});
