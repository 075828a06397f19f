// A real one-minute lifetime, with the pages' clocks moved forward instead of
// waiting: every timer and Date in the page follows the fake clock, while the
// relay's timestamps stay real, as they would for a reader whose minute passed.
import { describe, expect, it } from 'vitest';
import { createRoom, browserSession, messageTexts, openRoom, send, waitForMessage } from '../support/browser.ts';

const session = browserSession();

describe('message expiry', () => {
  it('removes a one-minute message from every screen after one minute, not before', async () => {
    const alice = await session.browser.person();
    const bob = await session.browser.person();
    await alice.clock.install();
    await bob.clock.install();
    const link = await createRoom(alice, session.relay.httpUrl);
    await openRoom(bob, link);

    await alice.getByLabel('Messages disappear after').selectOption({ label: '1m' });
    await send(alice, 'short-lived');
    await alice.getByLabel('Messages disappear after').selectOption({ label: 'off' });
    await send(alice, 'long-lived');
    await waitForMessage(bob, 'short-lived');
    await waitForMessage(bob, 'long-lived');
    expect(await bob.locator('.msg .ttl').allTextContents()).toEqual(['1m']);

    for (const page of [alice, bob]) await page.clock.fastForward('00:55');
    for (const page of [alice, bob]) expect(await messageTexts(page)).toEqual(['short-lived', 'long-lived']);

    for (const page of [alice, bob]) await page.clock.fastForward('00:06');
    for (const page of [alice, bob]) await expect.poll(() => messageTexts(page)).toEqual(['long-lived']);

    // The author does not send an expired message to a newcomer.
    const carol = await session.browser.person();
    await openRoom(carol, link);
    await waitForMessage(carol, 'long-lived');
    expect(await messageTexts(carol)).toEqual(['long-lived']);
  });
});
