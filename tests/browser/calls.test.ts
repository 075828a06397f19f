// Calls between real browsers through the real relay: fake camera and
// microphone, loopback candidates only, no STUN or TURN. Each check reads the
// media itself (frames decoded, sound in an analyser), not just the DOM.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSession, createRoom, mediaArgs, openRoom } from '../support/browser.ts';
import {
  joinCall,
  openConnections,
  ownId,
  recordConnections,
  remoteTile,
  startCall,
  waitVideoPlaying,
} from '../support/calls.ts';

// The limit is set low so that a fourth person meets it.
const session = browserSession({ browserArgs: mediaArgs, relayEnv: { CALL_MAX_PARTICIPANTS: '3' } });
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

/** Sound is this loud (RMS); the fake microphone's tone is far above it and silence is 0. */
const heard = 0.01;

/**
 * The loudest RMS level of the audio a tile receives, measured with an
 * AnalyserNode on the received track for `ms`, or until it is above `heard`.
 */
function audioLevel(page: Page, selector: string, ms = 3000): Promise<number> {
  return page.evaluate(
    async ({ css, ms, heard }) => {
      const end = performance.now() + ms;
      const received = (): MediaStream | undefined => {
        const stream = document.querySelector<HTMLAudioElement>(`${css} audio`)?.srcObject;
        return stream instanceof MediaStream && stream.getAudioTracks().length > 0 ? stream : undefined;
      };
      // The voice track may be announced a moment after the picture.
      while (!received() && performance.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
      const stream = received();
      if (!stream) return -1;
      const context = new AudioContext();
      await context.resume();
      const analyser = context.createAnalyser();
      context.createMediaStreamSource(new MediaStream(stream.getAudioTracks())).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      let loudest = 0;
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

/** A mark (in-call, muted, camera-off, screen) beside `peer` in the people list. */
const personMark = (peer: string, mark: string): string => `#people li[data-peer="${peer}"] .mark.${mark}`;

async function expectMediaFlows(pages: Page[]): Promise<void> {
  const ids = await Promise.all(pages.map((page) => ownId(page)));
  for (const [index, page] of pages.entries()) {
    for (const [other, id] of ids.entries()) {
      if (other === index) continue;
      await waitVideoPlaying(page, remoteTile(id));
      expect(await audioLevel(page, remoteTile(id))).toBeGreaterThan(heard);
    }
  }
}

/** A person whose camera is missing: asking for video fails as it does without one. */
function refuseCamera(): void {
  const devices = navigator.mediaDevices;
  const native = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) =>
    constraints?.video ? Promise.reject(new DOMException('no camera', 'NotFoundError')) : native(constraints);
}

async function waitTileGone(page: Page, peer: string): Promise<void> {
  await page.locator(remoteTile(peer)).waitFor({ state: 'detached', timeout: 3000 });
}

async function expectSilent(page: Page, selector: string): Promise<void> {
  // What was already on its way plays out first.
  await page.waitForTimeout(500);
  expect(await audioLevel(page, selector, 1500)).toBeLessThanOrEqual(heard);
}

describe('a call between two people', () => {
  let alice: Page;
  let bob: Page;
  let aliceId: string;

  it('lets them see and hear each other', { timeout: 40_000 }, async () => {
    [alice, bob] = (await room(2)) as [Page, Page];
    await startCall(alice);
    await joinCall(bob);
    await expectMediaFlows([alice, bob]);
    aliceId = await ownId(alice);
    await bob.locator(personMark(aliceId, 'in-call')).waitFor({ timeout: 3000 });
    // The fake microphone's tone counts as speech.
    await bob.locator(`${remoteTile(aliceId)}.speaking`).waitFor({ timeout: 5000 });
  });

  it('mute silences the microphone for the others and shows the muted icon', async () => {
    await alice.getByRole('button', { name: 'Mute', exact: true }).click();
    await bob.locator(`${remoteTile(aliceId)} .muted-icon`).waitFor({ timeout: 3000 });
    await bob.locator(personMark(aliceId, 'muted')).waitFor({ timeout: 3000 });
    await expectSilent(bob, remoteTile(aliceId));
    // No speaking outline on a muted person's tile, though the fake microphone's tone goes on.
    await bob.locator(`${remoteTile(aliceId)}:not(.speaking)`).waitFor({ timeout: 1000 });
    await bob.waitForTimeout(1500);
    expect(await bob.locator(`${remoteTile(aliceId)}.speaking`).count()).toBe(0);
    await alice.getByRole('button', { name: 'Unmute', exact: true }).click();
    await bob.locator(`${remoteTile(aliceId)} .muted-icon`).waitFor({ state: 'detached', timeout: 3000 });
    await bob.locator(personMark(aliceId, 'muted')).waitFor({ state: 'detached', timeout: 3000 });
    expect(await audioLevel(bob, remoteTile(aliceId))).toBeGreaterThan(heard);
  });

  it('camera off stops the camera and shows the name instead of the picture', async () => {
    await alice.getByRole('button', { name: 'Camera off', exact: true }).click();
    await bob.locator(`${remoteTile(aliceId)} .tile-name`).waitFor({ timeout: 3000 });
    await bob.locator(personMark(aliceId, 'camera-off')).waitFor({ timeout: 3000 });
    expect(await bob.locator(`${remoteTile(aliceId)} video`).isVisible()).toBe(false);
    // The device itself is released, not just hidden.
    expect(
      await alice.evaluate(() => document.querySelector<HTMLVideoElement>('.call-tile.self video')?.srcObject),
    ).toBeNull();
    await alice.getByRole('button', { name: 'Camera on', exact: true }).click();
    await waitVideoPlaying(bob, remoteTile(aliceId));
  });

  it(
    'a shared screen reaches the other as a second video, and goes when sharing stops',
    { timeout: 30_000 },
    async () => {
      await alice.getByRole('button', { name: 'Share screen', exact: true }).click();
      const screen = `.call-tile.screen[data-peer="${aliceId}"]`;
      await bob.locator(screen).waitFor({ timeout: 10_000 });
      await waitVideoPlaying(bob, screen);
      await bob.locator(personMark(aliceId, 'screen')).waitFor({ timeout: 3000 });
      await alice.getByRole('button', { name: 'Stop sharing', exact: true }).click();
      await bob.locator(screen).waitFor({ state: 'detached', timeout: 3000 });
    },
  );

  it('leaving the call removes the tile within 3 seconds', async () => {
    await alice.getByRole('button', { name: 'Leave call', exact: true }).click();
    await waitTileGone(bob, aliceId);
    await bob.locator(personMark(aliceId, 'in-call')).waitFor({ state: 'detached', timeout: 3000 });
    await bob.getByRole('button', { name: 'Leave call', exact: true }).click();
  });
});

describe('calls', () => {
  it('two people pressing Call at once end in one call with one connection per pair', { timeout: 40_000 }, async () => {
    const [alice, bob] = (await room(2)) as [Page, Page];
    await Promise.all([alice, bob].map((page) => page.evaluate(recordConnections)));
    await Promise.all([alice, bob].map((page) => page.getByRole('button', { name: 'Call', exact: true }).click()));
    await expectMediaFlows([alice, bob]);
    expect([await openConnections(alice), await openConnections(bob)]).toEqual([1, 1]);
    expect(await alice.locator('.call-tile.person').count()).toBe(1);
  });

  it(
    'three people see and hear each other; a fourth is told the call is full; a closed tab leaves',
    { timeout: 60_000 },
    async () => {
      const [alice, bob, cleo, dan] = (await room(4)) as [Page, Page, Page, Page];
      await startCall(alice);
      await joinCall(bob);
      await joinCall(cleo);
      await expectMediaFlows([alice, bob, cleo]);
      await dan.getByText('The call is full').waitFor({ timeout: 3000 });
      expect(await dan.getByRole('button', { name: 'Join', exact: true }).count()).toBe(0);
      const cleoId = await ownId(cleo);
      await cleo.close();
      await Promise.all([waitTileGone(alice, cleoId), waitTileGone(bob, cleoId)]);
    },
  );

  it('a person without a camera joins with the microphone and is heard', { timeout: 40_000 }, async () => {
    const [alice, bob] = (await room(2)) as [Page, Page];
    await bob.evaluate(refuseCamera);
    await startCall(alice);
    await joinCall(bob);
    await bob.getByText('The camera could not be used').waitFor({ timeout: 3000 });
    const bobId = await ownId(bob);
    await alice.locator(`${remoteTile(bobId)} .tile-name`).waitFor({ timeout: 5000 });
    expect(await audioLevel(alice, remoteTile(bobId))).toBeGreaterThan(heard);
  });

  it('never puts SDP, candidates or call state on the wire in clear', () => {
    expect(frames.length).toBeGreaterThan(10);
    for (const frame of frames) {
      for (const secret of ['v=0', 'a=fingerprint', 'candidate:', 'ufrag', '"kind":"call"']) {
        expect(frame).not.toContain(secret);
      }
    }
  });
});
