// Mentions, the unread count while hidden, sharing by QR code, keyboard-only
// use, and an automated accessibility scan, in real tabs on the real relay.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { QRCode } from 'jsqr';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSession, createRoom, openRoom, send, waitForMessage } from '../support/browser.ts';

const session = browserSession();
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// A CommonJS module whose typings describe an ES default export.
const jsQR = require('jsqr') as (data: Uint8ClampedArray, width: number, height: number) => QRCode | null;

async function pair(colorScheme: 'light' | 'dark' = 'light'): Promise<{ alice: Page; bob: Page; link: string }> {
  const alice = await session.browser.person({ colorScheme });
  const bob = await session.browser.person({ colorScheme });
  const link = await createRoom(alice, session.relay.httpUrl);
  await openRoom(bob, link);
  return { alice, bob, link };
}

/** Makes the page believe it is hidden or shown, as when its tab is in the background. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((value) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (value ? 'hidden' : 'visible'),
    });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** The QR code's modules, drawn as pixels (4 per module) for the decoder. */
async function qrPixels(page: Page): Promise<{ data: Uint8ClampedArray; size: number }> {
  const { path, viewBox } = await page.locator('.qr').evaluate((svg) => ({
    path: svg.querySelector('path')!.getAttribute('d')!,
    viewBox: svg.getAttribute('viewBox')!,
  }));
  const modules = Number(viewBox.split(' ')[2]);
  const scale = 4;
  const size = modules * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  for (const [, x, y] of path.matchAll(/M(\d+) (\d+)/g)) {
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const at = ((Number(y) * scale + dy) * size + Number(x) * scale + dx) * 4;
        data.fill(0, at, at + 3);
      }
    }
  }
  return { data, size };
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } })
      .axe;
    const { violations } = await axe.run();
    return violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => violation.id);
  });
}

describe('attention, sharing and accessibility', () => {
  it('highlights a message that mentions you, offering names after @', async () => {
    const { alice, bob } = await pair();
    await send(bob, '/nick Quiet Heron');
    await alice.locator('.people', { hasText: 'Quiet Heron' }).waitFor();
    const box = alice.getByLabel('Message', { exact: true });
    await box.pressSequentially('look @Qui');
    await alice.getByRole('option', { name: '@Quiet Heron' }).waitFor();
    await box.press('Tab');
    expect(await box.inputValue()).toBe('look @Quiet Heron ');
    await box.press('Enter');
    await send(alice, 'not for anyone');
    await waitForMessage(bob, 'not for anyone');
    expect(await bob.locator('.msg.mentioned').allTextContents()).toEqual([
      expect.stringContaining('look @Quiet Heron'),
    ]);
    expect(await alice.locator('.msg.mentioned').count()).toBe(0);
  });

  it('counts unread messages and mentions in the title while hidden, and resets on return', async () => {
    const { alice, bob } = await pair();
    await send(bob, '/nick Sunny Fox');
    await alice.locator('.people', { hasText: 'Sunny Fox' }).waitFor();
    await setHidden(bob, true);
    await send(alice, 'while you were away');
    await send(alice, 'hey @Sunny Fox');
    await send(alice, 'hey @Sunny Fox? no, you are @sunny fox');
    await bob.waitForFunction(() => document.title === '(3, @2) onetimechat', undefined, { timeout: 10_000 });
    expect(await bob.title()).toBe('(3, @2) onetimechat');
    await setHidden(bob, false);
    await bob.waitForFunction(() => document.title === 'onetimechat');
    expect(await bob.locator('.unread-line + .msg .text').textContent()).toBe('while you were away');
  });

  it('notifies while hidden only when turned on, with the text only when asked, never for history or own messages', async () => {
    const alice = await session.browser.person();
    const bob = await session.browser.person();
    // The page's Notification, recording what it is asked to show; the browser would ask the person first.
    await bob.addInitScript(() => {
      const record = { asked: 0, shown: [] as { title: string; body: string }[] };
      let permission: NotificationPermission = 'default';
      Object.assign(window, { notified: record });
      Object.defineProperty(window, 'Notification', {
        configurable: true,
        value: class {
          onclick: (() => void) | null = null;
          static get permission(): NotificationPermission {
            return permission;
          }
          static requestPermission(): Promise<NotificationPermission> {
            record.asked++;
            permission = 'granted';
            return Promise.resolve(permission);
          }
          constructor(title: string, options: NotificationOptions) {
            record.shown.push({ title, body: options.body ?? '' });
          }
          close(): void {}
        },
      });
    });
    const notified = (): Promise<{ asked: number; shown: { title: string; body: string }[] }> =>
      bob.evaluate(() => (window as unknown as { notified: { asked: number; shown: [] } }).notified);
    const setSwitch = async (name: string, on: boolean): Promise<void> => {
      await bob.getByRole('button', { name: 'Settings' }).click();
      await bob.getByRole('checkbox', { name }).setChecked(on);
      await bob.getByRole('button', { name: 'Close' }).click();
    };

    await createRoom(bob, session.relay.httpUrl);
    expect(await notified()).toEqual({ asked: 0, shown: [] });
    await setSwitch('Desktop notifications', true);
    expect((await notified()).asked).toBe(1);

    // Alice's room already holds a message; Bob, hidden, joins it in the same tab: history raises nothing.
    const link = await createRoom(alice, session.relay.httpUrl);
    await send(alice, 'said before Bob came');
    await setHidden(bob, true);
    await bob.evaluate((hash) => (location.hash = hash), new URL(link).hash);
    await waitForMessage(bob, 'said before Bob came');
    await send(bob, 'my own words');
    await waitForMessage(bob, 'my own words');
    await send(alice, 'a secret plan');
    await waitForMessage(bob, 'a secret plan');
    expect((await notified()).shown).toEqual([{ title: 'onetimechat', body: 'A new message arrived.' }]);

    await setSwitch('Show who wrote and what', true);
    await send(alice, 'now with text');
    await waitForMessage(bob, 'now with text');
    const aliceName = await alice.locator('.msg.own .who').first().textContent();
    expect((await notified()).shown.at(-1)).toEqual({
      title: `${aliceName!.replace(' (you)', '')} in onetimechat`,
      body: 'now with text',
    });

    await setHidden(bob, false);
    await send(alice, 'seen on screen');
    await waitForMessage(bob, 'seen on screen');
    await setHidden(bob, true);
    await setSwitch('Desktop notifications', false);
    await send(alice, 'while turned off');
    await waitForMessage(bob, 'while turned off');
    expect((await notified()).shown).toHaveLength(2);
    expect((await notified()).asked).toBe(1);
  });

  it('shows a QR code that decodes to the room link', async () => {
    const { alice, link } = await pair();
    await alice.getByRole('button', { name: 'Share', exact: true }).click();
    await alice.locator('.qr').waitFor();
    const { data, size } = await qrPixels(alice);
    expect(jsQR(data, size, size)?.data).toBe(link);
    await alice.keyboard.press('Escape');
    await alice.locator('.qr').waitFor({ state: 'hidden' });
  });

  it('sends, replies, reacts and edits by keyboard alone', async () => {
    const { alice, bob } = await pair();
    const box = alice.getByLabel('Message', { exact: true });
    await box.pressSequentially('by keys');
    await box.press('Enter');
    await waitForMessage(bob, 'by keys');
    // Bob tabs from his message box back to the message's tools.
    await bob.getByLabel('Message', { exact: true }).focus();
    const focusedLabel = () => bob.evaluate(() => document.activeElement?.textContent?.trim());
    for (let presses = 0; presses < 20 && (await focusedLabel()) !== 'Reply'; presses++) {
      await bob.keyboard.press('Shift+Tab');
    }
    expect(await focusedLabel()).toBe('Reply');
    await bob.keyboard.press('Enter');
    await bob.keyboard.type('answer by keys');
    await bob.keyboard.press('Enter');
    await alice.locator('.msg .reply-quote', { hasText: 'by keys' }).waitFor();
    await bob.getByLabel('Message', { exact: true }).focus();
    for (let presses = 0; presses < 30 && (await focusedLabel()) !== 'React'; presses++) {
      await bob.keyboard.press('Shift+Tab');
    }
    await bob.keyboard.press('Enter');
    expect(await bob.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('React with 👍');
    await bob.keyboard.press('Enter');
    await alice.locator('.reaction').waitFor();
    await box.focus();
    await alice.keyboard.press('ArrowUp');
    await alice.keyboard.press('End');
    await alice.keyboard.type(', edited');
    await alice.keyboard.press('Enter');
    await waitForMessage(bob, 'by keys, edited');
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`passes an accessibility scan of the landing page, a busy room and its settings (${colorScheme})`, async () => {
      const landing = await session.browser.person({ colorScheme });
      await landing.goto(session.relay.httpUrl);
      expect(await seriousViolations(landing)).toEqual([]);
      const { alice, bob } = await pair(colorScheme);
      await send(bob, '/nick Kind Owl');
      await send(alice, '**Plan** for `today`:\n- [notes](https://example.org/notes)\n- lunch\n\n> quoted');
      await send(alice, '```\nnpm test\n```');
      await bob.locator('.msg pre', { hasText: 'npm test' }).waitFor();
      await bob.locator('.msg', { hasText: 'Plan' }).hover();
      await bob.locator('.msg', { hasText: 'Plan' }).getByRole('button', { name: 'React', exact: true }).click();
      await bob.getByRole('button', { name: 'React with 🎉' }).click();
      await send(bob, 'hey @Kind Owl, sounds good');
      await send(alice, 'mentioning @Kind Owl');
      await waitForMessage(bob, 'mentioning @Kind Owl');
      await bob.locator('.reaction').waitFor();
      expect(await seriousViolations(bob)).toEqual([]);
      await bob.getByRole('button', { name: 'Settings' }).click();
      await bob.getByRole('dialog', { name: 'Settings' }).waitFor();
      expect(await seriousViolations(bob)).toEqual([]);
    }, 40_000);
  }
});
