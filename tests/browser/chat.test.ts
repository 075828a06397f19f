import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  createRoom,
  browserSession,
  messages,
  messageTexts,
  notices,
  openRoom,
  roomLinkOf,
  send,
  waitForMessage,
} from '../support/browser.ts';

const session = browserSession();

async function room(count: number): Promise<Page[]> {
  const people = await Promise.all(Array.from({ length: count }, () => session.browser.person()));
  const link = await createRoom(people[0]!, session.relay.httpUrl);
  for (const person of people.slice(1)) await openRoom(person, link);
  return people;
}

describe('chatting in a room', () => {
  it('two tabs chat both ways, in the same order on both screens', async () => {
    const [alice, bob] = await room(2);
    const box = alice!.getByLabel('Message', { exact: true });
    expect(await box.evaluate((element) => element === document.activeElement)).toBe(true);
    await box.pressSequentially('hello');
    await box.press('Shift+Enter');
    await box.pressSequentially('bob');
    expect(await box.inputValue()).toBe('hello\nbob');
    await box.press('Enter');
    expect(await box.inputValue()).toBe('');
    await waitForMessage(bob!, 'hello\nbob');
    await send(bob!, 'hi alice');
    await waitForMessage(alice!, 'hi alice');

    expect(await messageTexts(alice!)).toEqual(['hello\nbob', 'hi alice']);
    expect(await messageTexts(bob!)).toEqual(['hello\nbob', 'hi alice']);
    expect((await messages(bob!))[0]!.who).not.toContain('(you)');
    expect((await messages(alice!))[0]!.who).toContain('(you)');
  });

  it('three tabs chat, each seeing everyone’s messages', async () => {
    const people = await room(3);
    for (const [index, person] of people.entries()) await send(person, `from person ${index}`);
    for (const person of people) {
      for (const index of [0, 1, 2]) await waitForMessage(person, `from person ${index}`);
    }
    const orders = await Promise.all(people.map(messageTexts));
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    expect(orders[0]).toHaveLength(3);
    expect(await people[0]!.locator('.people li').count()).toBe(3);
  });

  it('a newcomer receives the history of everyone present, in the same order', async () => {
    const [alice, bob] = await room(2);
    await send(alice!, 'first, from alice');
    await waitForMessage(bob!, 'first, from alice');
    await send(bob!, 'second, from bob');
    await waitForMessage(alice!, 'second, from bob');
    await send(alice!, 'third, from alice');
    await waitForMessage(bob!, 'third, from alice');

    const carol = await session.browser.person();
    await openRoom(carol, await roomLinkOf(alice!));
    await waitForMessage(carol, 'third, from alice');
    await waitForMessage(carol, 'second, from bob');
    expect(await messageTexts(carol)).toEqual(['first, from alice', 'second, from bob', 'third, from alice']);
    await expect.poll(() => notices(alice!)).toContainEqual(expect.stringMatching(/ joined$/));
  });

  it('closing a tab makes its messages vanish from the others within 3 seconds', async () => {
    const [alice, bob, carol] = await room(3);
    await send(bob!, 'bob was here');
    await send(alice!, 'alice stays');
    for (const person of [alice!, carol!]) await waitForMessage(person, 'bob was here');
    await waitForMessage(carol!, 'alice stays');
    const bobName = (await messages(carol!)).find((m) => m.text === 'bob was here')!.who;

    const closedAt = Date.now();
    await bob!.close();
    for (const person of [alice!, carol!]) {
      await person.waitForFunction(
        () => ![...document.querySelectorAll('.messages .text')].some((n) => n.textContent === 'bob was here'),
        undefined,
        { timeout: 3000 },
      );
    }
    expect(Date.now() - closedAt).toBeLessThan(3000);
    expect(await messageTexts(carol!)).toEqual(['alice stays']);
    // The tag tells Bob apart from anyone who takes his name.
    expect(await notices(carol!)).toContainEqual(
      expect.stringMatching(new RegExp(`^${bobName} \\(#[0-9a-f]{4}\\) left, and their messages vanished$`)),
    );
  });

  it('/nick renames everywhere and /me shows an action', async () => {
    const [alice, bob] = await room(2);
    await send(alice!, 'before the rename');
    await waitForMessage(bob!, 'before the rename');
    const oldName = (await messages(bob!))[0]!.who;

    await send(alice!, '/nick Captain Alice');
    await expect.poll(() => notices(bob!)).toContain(`${oldName} is now called Captain Alice`);
    await expect.poll(async () => (await messages(bob!))[0]!.who).toBe('Captain Alice');
    expect(await notices(alice!)).toContain('You are now called Captain Alice');

    await send(alice!, '/me waves');
    await waitForMessage(bob!, 'Captain Alice waves');
    expect(await bob!.locator('.msg.action').count()).toBe(1);
    expect(await messageTexts(bob!)).toEqual(['before the rename', 'Captain Alice waves']);
  });

  it('copies the room link, which opens the same room', async () => {
    const [alice] = await room(1);
    await alice!.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await alice!.getByRole('button', { name: 'Copy link' }).click();
    await alice!.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = await alice!.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(new RegExp(`^${session.relay.httpUrl}/#[A-Za-z0-9_-]{22}$`));
    await send(alice!, 'through the copied link');
    const bob = await session.browser.person();
    await openRoom(bob, copied);
    await waitForMessage(bob, 'through the copied link');
  });

  it('answers commands locally, never sending them', async () => {
    const [alice, bob] = await room(2);
    await send(alice!, '/who');
    await expect.poll(() => notices(alice!)).toContainEqual(expect.stringMatching(/^Here now \(2\): .+ \(you\), .+/));
    await send(alice!, '/dance');
    await expect.poll(() => notices(alice!)).toContainEqual(expect.stringMatching(/unknown command \/dance/));
    await send(alice!, 'a real message');
    await waitForMessage(bob!, 'a real message');
    expect(await messageTexts(bob!)).toEqual(['a real message']);
  });
});
