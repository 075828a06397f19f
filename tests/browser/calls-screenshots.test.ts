// Screenshots of a three-person call, for people to look at (tests/output/ is
// not committed): desktop in both themes and a phone-sized screen.
import { mkdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSession, createRoom, mediaArgs, openRoom, send } from '../support/browser.ts';
import { joinCall, ownId, remoteTile, startCall, waitVideoPlaying } from '../support/calls.ts';

const outputDir = 'tests/output';
const session = browserSession({ browserArgs: mediaArgs });
beforeAll(() => mkdirSync(outputDir, { recursive: true }));

describe('screenshots of a call', () => {
  for (const [colorScheme, viewport, name] of [
    ['light', { width: 1100, height: 760 }, 'call-light'],
    ['dark', { width: 1100, height: 760 }, 'call-dark'],
    ['dark', { width: 390, height: 760 }, 'call-phone'],
  ] as const) {
    it(`draws three people in a call (${name})`, { timeout: 60_000 }, async () => {
      const viewer = await session.browser.person({ colorScheme, viewport });
      const link = await createRoom(viewer, session.relay.httpUrl);
      const others = [await session.browser.person(), await session.browser.person()];
      await Promise.all(others.map((page) => openRoom(page, link)));
      await send(others[0]!, '/nick Quiet Heron');
      await send(others[1]!, '/nick Swift Otter');
      await send(others[0]!, 'Can you all hear me?');
      await startCall(viewer);
      for (const page of others) await joinCall(page);
      await others[1]!.getByRole('button', { name: 'Mute', exact: true }).click();
      for (const page of others) await waitVideoPlaying(viewer, remoteTile(await ownId(page)));
      await viewer.screenshot({ path: `${outputDir}/${name}.png` });
      expect(await viewer.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
      await Promise.all([viewer, ...others].map((page) => page.close()));
    });
  }
});
