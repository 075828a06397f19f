import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createRoom, browserSession, messageTexts, openRoom, send, waitForMessage } from '../support/browser.ts';

const session = browserSession();

async function pair(): Promise<[Page, Page]> {
  const alice = await session.browser.person({ viewport: { width: 900, height: 600 } });
  const bob = await session.browser.person();
  await openRoom(bob, await createRoom(alice, session.relay.httpUrl));
  return [alice, bob];
}

async function sendMany(page: Page, count: number, text: (i: number) => string): Promise<void> {
  for (let i = 0; i < count; i++) await send(page, text(i));
}

function setHidden(page: Page, hidden: boolean): Promise<void> {
  return page.evaluate((value) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describe('reading a busy room', () => {
  it('keeps the reader’s place when scrolled up, with a "new messages" pill', async () => {
    const [alice, bob] = await pair();
    await sendMany(bob, 30, (i) => `filler ${i}\nwith a second line`);
    await waitForMessage(alice, 'filler 29\nwith a second line');
    const scroller = alice.locator('.scroller');
    const atBottom = (): Promise<boolean> =>
      scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 60);
    await expect.poll(atBottom).toBe(true);

    await scroller.hover();
    await alice.mouse.wheel(0, -1500);
    await expect.poll(atBottom).toBe(false);
    const readingAt = await scroller.evaluate((el) => el.scrollTop);
    await send(bob, 'news one');
    await send(bob, 'news two');
    await waitForMessage(alice, 'news two');
    await expect.poll(() => alice.locator('.pill').textContent()).toContain('2 new messages');
    expect(Math.abs((await scroller.evaluate((el) => el.scrollTop)) - readingAt)).toBeLessThan(5);

    await alice.locator('.pill').click();
    await expect.poll(atBottom).toBe(true);
    expect(await alice.locator('.pill').count()).toBe(0);
  }, 40_000);

  it('counts unread messages in the title while the tab is hidden, and announces them', async () => {
    const [alice, bob] = await pair();
    await setHidden(alice, true);
    await sendMany(bob, 3, (i) => `while away ${i}`);
    await expect.poll(() => alice.title()).toBe('(3) onetimechat');
    await setHidden(alice, false);
    await expect.poll(() => alice.title()).toBe('onetimechat');
    const live = alice.locator('[aria-live="polite"]');
    const bobName = (await bob.locator('.msg .who').first().textContent())!.replace(' (you)', '');
    expect(await live.textContent()).toBe(`${bobName}: while away 2`);
  });

  it('draws the newest part of a long history and the rest on demand', async () => {
    const [alice, bob] = await pair();
    await sendMany(bob, 170, (i) => `line ${i}`);
    // Bob's client paces its frames under the relay's rate, so the last arrive a few seconds later.
    await waitForMessage(alice, 'line 169', 30_000);
    const drawn = await messageTexts(alice);
    expect(drawn.length).toBeLessThan(170);
    expect(drawn.at(-1)).toBe('line 169');
    const earlier = alice.getByRole('button', { name: /Show earlier messages/ });
    await earlier.click();
    await expect.poll(async () => (await messageTexts(alice)).length).toBe(170);
    expect((await messageTexts(alice))[0]).toBe('line 0');
  }, 60_000);
});
