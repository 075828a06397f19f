// Formatting, replies, reactions, edits and unsends between real tabs on the
// real relay, and a forger with the room key who cannot act in another's name.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { secretFromLink } from '../../client/src/lib/links.ts';
import { browserSession, createRoom, messageTexts, openRoom, send, waitForMessage } from '../support/browser.ts';
import { joinAsHostileMember } from '../support/hostile-member.ts';

const session = browserSession();

async function room(count: number): Promise<{ people: Page[]; link: string }> {
  const people = await Promise.all(Array.from({ length: count }, () => session.browser.person()));
  const link = await createRoom(people[0]!, session.relay.httpUrl);
  for (const person of people.slice(1)) await openRoom(person, link);
  return { people, link };
}

function message(page: Page, text: string) {
  return page.locator('.messages .msg:not(.pending)').filter({ has: page.locator('.text', { hasText: text }) });
}

/** Uses one of a message's tools, which show while the pointer is over the message. */
async function tool(page: Page, text: string, name: string): Promise<void> {
  await message(page, text).hover();
  await message(page, text).getByRole('button', { name, exact: true }).click();
}

describe('conversation features', () => {
  it('shows formatting to another tab, inert for raw HTML and unsafe links', async () => {
    const { people } = await room(2);
    const [alice, bob] = people as [Page, Page];
    await send(alice, '**bold** _it_ ~~old~~ `x<y` [site](https://example.org) [bad](javascript:alert(1)) <b>raw</b>');
    await send(alice, '> quoted\n\n- one\n- two\n\n```\nconst a = 1;\n```');
    const first = message(bob, 'bold');
    await first.waitFor();
    expect(await first.locator('strong').textContent()).toBe('bold');
    expect(await first.locator('em').textContent()).toBe('it');
    expect(await first.locator('s').textContent()).toBe('old');
    expect(await first.locator('code').textContent()).toBe('x<y');
    const link = first.getByRole('link', { name: 'site' });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await first.locator('.link-target').textContent()).toContain('https://example.org');
    expect(await first.locator('a').count()).toBe(1);
    expect(await first.locator('b').count()).toBe(0);
    expect(await first.textContent()).toContain('<b>raw</b>');
    const second = message(bob, 'quoted');
    await second.waitFor();
    expect(await second.locator('blockquote').textContent()).toBe('quoted');
    expect(await second.locator('ul li').allTextContents()).toEqual(['one', 'two']);
    expect(await second.locator('pre code').textContent()).toBe('const a = 1;');
  });

  it('shows messages as typed with formatting turned off, a preference kept across a reload', async () => {
    const { people, link } = await room(2);
    const [alice, bob] = people as [Page, Page];
    const setFormatting = async (on: boolean): Promise<void> => {
      await bob.getByRole('button', { name: 'Settings' }).click();
      await bob.getByRole('checkbox', { name: 'Show formatting' }).setChecked(on);
      await bob.getByRole('button', { name: 'Close' }).click();
    };
    await send(alice, '**bold** and `code` at https://example.org');
    const shown = message(bob, 'bold');
    await shown.locator('strong').waitFor();
    await setFormatting(false);
    await shown.locator('.text', { hasText: '**bold** and `code` at https://example.org' }).waitFor();
    expect(await shown.locator('strong, code').count()).toBe(0);
    // Addresses are still links, as they were before formatting.
    expect(await shown.getByRole('link', { name: 'https://example.org' }).count()).toBe(1);

    await bob.reload();
    await openRoom(bob, link);
    await send(alice, '**after reload**');
    await message(bob, '**after reload**').waitFor();
    expect(await bob.locator('.messages strong').count()).toBe(0);
    await setFormatting(true);
    await message(bob, 'after reload').locator('strong', { hasText: 'after reload' }).waitFor();
  });

  it('replies with a quote that leads to the original, and says when it vanished', async () => {
    const { people } = await room(2);
    const [alice, bob] = people as [Page, Page];
    await send(alice, 'What time works?\nsecond line');
    await waitForMessage(bob, 'What time works?\nsecond line');
    await tool(bob, 'What time works?', 'Reply');
    await send(bob, 'Noon');
    const answer = message(alice, 'Noon');
    await answer.waitFor();
    const quote = answer.locator('.reply-quote');
    expect(await quote.textContent()).toMatch(/In reply to.*What time works\?$/);
    await quote.click();
    expect(await alice.evaluate(() => document.activeElement?.textContent)).toContain('What time works?');
    await tool(alice, 'What time works?', 'Unsend');
    await bob.locator('.reply-quote.gone').waitFor();
    expect(await bob.locator('.reply-quote.gone').textContent()).toContain('vanished');
  });

  it('adds and removes reactions, which vanish when the reacting person leaves', async () => {
    const { people } = await room(3);
    const [alice, bob, carol] = people as [Page, Page, Page];
    await send(alice, 'Lunch?');
    await waitForMessage(bob, 'Lunch?');
    await waitForMessage(carol, 'Lunch?');
    await tool(bob, 'Lunch?', 'React');
    await bob.getByRole('button', { name: 'React with 👍' }).click();
    await tool(carol, 'Lunch?', 'React');
    await carol.getByRole('button', { name: 'React with 👍' }).click();
    const thumbs = message(alice, 'Lunch?').locator('.reaction');
    await alice.waitForFunction(() => document.querySelector('.reaction')?.textContent?.trim() === '👍 2');
    const names = await alice.locator('.people li .name, .people li').allTextContents();
    const title = (await thumbs.getAttribute('title')) ?? '';
    expect(title.split(', ')).toHaveLength(2);
    expect(names.join(' ')).toContain(title.split(', ')[0]!);
    // Carol takes hers back with a second click on the count.
    await message(carol, 'Lunch?').locator('.reaction').click();
    await alice.waitForFunction(() => document.querySelector('.reaction')?.textContent?.trim() === '👍 1');
    await bob.close();
    await alice.locator('.reaction').waitFor({ state: 'detached' });
  });

  it('edits and unsends for everyone present and a newcomer, who never gets the unsent message', async () => {
    const { people, link } = await room(2);
    const [alice, bob] = people as [Page, Page];
    await send(alice, 'a typo here');
    await send(alice, 'sent by mistake');
    await waitForMessage(bob, 'sent by mistake');
    // Up-arrow in the empty box edits the last message; here we go to the first one by its Edit button.
    const box = alice.getByLabel('Message', { exact: true });
    await box.press('ArrowUp');
    expect(await box.inputValue()).toBe('sent by mistake');
    await box.press('Escape');
    await tool(alice, 'a typo here', 'Edit');
    await box.fill('no typo here');
    await box.press('Enter');
    await waitForMessage(bob, 'no typo here');
    await tool(alice, 'sent by mistake', 'Unsend');
    await bob.waitForFunction(() => !document.querySelector('.messages')?.textContent?.includes('sent by mistake'));
    expect(await messageTexts(bob)).toEqual(['no typo here']);
    expect(await message(bob, 'no typo here').locator('.edited').textContent()).toBe('(edited)');

    const carol = await session.browser.person();
    await openRoom(carol, link);
    await waitForMessage(carol, 'no typo here');
    expect(await message(carol, 'no typo here').locator('.edited').count()).toBe(1);
    expect(await messageTexts(carol)).toEqual(['no typo here']);
  });

  it('ignores a forged edit or unsend of someone else’s message', async () => {
    const { people, link } = await room(2);
    const [alice, bob] = people as [Page, Page];
    await send(alice, 'the real words');
    await waitForMessage(bob, 'the real words');
    const id = await message(bob, 'the real words').getAttribute('data-id');
    const forger = await joinAsHostileMember((room) => session.relay.wsUrl(room), secretFromLink(link)!);
    for (const forged of [
      { v: 1, kind: 'edit', id, text: 'forged words' },
      { v: 1, kind: 'unsend', id },
      { v: 1, kind: 'message', name: 'Forger', message: { id: crypto.randomUUID(), text: 'forger was here' } },
    ]) {
      await forger.send(forged);
    }
    // The forger's own message arriving after its edit and unsend shows both were handled.
    await waitForMessage(bob, 'forger was here');
    await waitForMessage(alice, 'forger was here');
    expect(await messageTexts(bob)).toEqual(['the real words', 'forger was here']);
    expect(await messageTexts(alice)).toEqual(['the real words', 'forger was here']);
    forger.client.socket.close();
  });
});
