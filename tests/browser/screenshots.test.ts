// Screenshots of both themes and a phone-sized screen, for people to look at
// (tests/output/ is not committed). The checks here are about what must be
// true of any screenshot: the room is drawn, in the theme asked for.
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRoom, browserSession, openRoom, send, waitForMessage } from '../support/browser.ts';

const outputDir = 'tests/output';
const session = browserSession();
beforeAll(() => mkdirSync(outputDir, { recursive: true }));

async function conversation(reader: Page, link: string): Promise<void> {
  const friend = await session.browser.person();
  await openRoom(friend, link);
  await send(friend, '/nick Quiet Heron');
  await send(friend, 'Hi! Did the link work?');
  await send(reader, 'It did. Nothing of this stays anywhere once we close the tabs, right?');
  await send(friend, 'Right: see https://example.org/why for the details.\nSecond line of the same message.');
  await send(reader, '/me nods');
  await waitForMessage(reader, 'Second line', 100).catch(() => undefined);
  await reader.locator('.msg.action:not(.pending)').waitFor({ timeout: 5000 });
  await friend.getByLabel('Message', { exact: true }).pressSequentially('typing');
  await reader.locator('.typing', { hasText: 'is typing' }).waitFor({ timeout: 5000 });
}

describe('screenshots', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`draws the room in the ${colorScheme} theme`, async () => {
      const reader = await session.browser.person({ colorScheme });
      await reader.goto(session.relay.httpUrl);
      await reader.screenshot({ path: `${outputDir}/landing-${colorScheme}.png` });
      const link = await createRoom(reader, session.relay.httpUrl);
      await conversation(reader, link);
      await reader.screenshot({ path: `${outputDir}/room-${colorScheme}.png` });
      const background = await reader.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe(colorScheme === 'light' ? 'rgb(246, 246, 243)' : 'rgb(19, 21, 25)');
    });
  }

  /** A room that uses formatting, a reply, reactions, an edit and a mention. */
  async function busyRoom(reader: Page, link: string): Promise<void> {
    const friend = await session.browser.person();
    await openRoom(friend, link);
    await send(reader, '/nick Sunny Fox');
    await send(friend, '/nick Quiet Heron');
    await send(friend, '**Plan** for today:\n- read [the notes](https://example.org/notes)\n- run `npm test`');
    await send(friend, '```\nnpm run bench:client -- --quick\n```');
    await send(reader, 'Sounds good, stray typo');
    await waitForMessage(reader, 'Sounds good, stray typo');
    const plan = reader.locator('.msg', { hasText: 'Plan' }).first();
    await plan.getByRole('button', { name: 'Reply', exact: true }).focus();
    await reader.keyboard.press('Enter');
    await send(reader, '> quoting is fine too\n\nI will take the ~~first~~ second item');
    const friendsPlan = friend.locator('.msg', { hasText: 'Plan' }).first();
    await friendsPlan.hover();
    await friendsPlan.getByRole('button', { name: 'React', exact: true }).click();
    await friend.getByRole('button', { name: 'React with 🎉' }).click();
    await send(friend, 'thanks @Sunny Fox');
    await reader.getByLabel('Message', { exact: true }).focus();
    await reader.keyboard.press('ArrowUp');
    await waitForMessage(reader, 'thanks @Sunny Fox');
    await reader.locator('.reaction').waitFor();
  }

  for (const [label, viewport] of [
    ['phone', { width: 390, height: 760 }],
    ['desktop', { width: 1100, height: 760 }],
  ] as const) {
    for (const colorScheme of ['light', 'dark'] as const) {
      it(`draws a busy room on a ${label} in the ${colorScheme} theme`, async () => {
        const reader = await session.browser.person({ viewport, colorScheme });
        const link = await createRoom(reader, session.relay.httpUrl);
        await busyRoom(reader, link);
        await reader.screenshot({ path: `${outputDir}/busy-${label}-${colorScheme}.png` });
        const overflow = await reader.evaluate(() => document.documentElement.scrollWidth - innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await reader.getByRole('button', { name: 'Settings' }).click();
        await reader.getByRole('dialog', { name: 'Settings' }).waitFor();
        await reader.screenshot({ path: `${outputDir}/settings-${label}-${colorScheme}.png` });
      }, 40_000);
    }
  }

  it('fits a phone-sized screen', async () => {
    const reader = await session.browser.person({ viewport: { width: 390, height: 760 } });
    const link = await createRoom(reader, session.relay.httpUrl);
    await conversation(reader, link);
    await reader.screenshot({ path: `${outputDir}/room-phone.png` });
    const overflow = await reader.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await reader.getByRole('button', { name: /People/ }).click();
    await reader.screenshot({ path: `${outputDir}/room-phone-people.png` });
    expect(await reader.locator('.people').isVisible()).toBe(true);
  });
});
