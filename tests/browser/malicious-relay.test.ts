// A relay gone bad, between real Chromium tabs and the real relay: it
// re-stamps a frame with another sender, replays one, hands a unicast to
// someone else, copies a frame into another room and forges a departure. The
// tabs show none of the forgeries; for the forged departure, which no client
// can refuse outright, the tab says the relay contradicted itself.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRoom,
  launchBrowser,
  messages,
  notices,
  openRoom,
  send,
  waitForMessage,
  type TestBrowser,
} from '../support/browser.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { startMitmProxy, type MitmProxy, type ProxiedConnection } from '../support/ws-mitm.ts';

let relay: RunningRelay;
let proxy: MitmProxy;
let browser: TestBrowser;

beforeAll(async () => {
  relay = await startRelay();
  proxy = await startMitmProxy(relay.port);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await relay?.stop();
});

/** Opens `link` (or a new room) in a new tab; resolves with the tab and its connection through the proxy. */
async function joinThroughProxy(link?: string): Promise<{ page: Page; link: string; connection: ProxiedConnection }> {
  const page = await browser.person();
  const before = proxy.connections.length;
  if (link) await openRoom(page, link);
  else link = await createRoom(page, proxy.httpUrl);
  const connection = proxy.connections.slice(before).find((candidate) => candidate.selfId !== undefined)!;
  return { page, link, connection };
}

function addsFrom(connection: ProxiedConnection, sender: string): string[] {
  return connection.fromRelay.filter((text) => text.startsWith(`["add","${sender}"`));
}

async function shown(page: Page): Promise<string[]> {
  return (await messages(page)).map(({ who, text }) => `${who.replace(' (you)', '')}: ${text}`);
}

describe('a malicious relay', () => {
  it('cannot re-attribute, replay, re-route or move a frame into another room', async () => {
    const alice = await joinThroughProxy();
    const bob = await joinThroughProxy(alice.link);
    const carol = await joinThroughProxy(alice.link);
    const elsewhere = await joinThroughProxy();
    const [aliceId, carolId] = [alice.connection.selfId!, carol.connection.selfId!];

    await send(alice.page, 'hello from alice');
    await waitForMessage(bob.page, 'hello from alice');
    await waitForMessage(carol.page, 'hello from alice');
    const hello = addsFrom(bob.connection, aliceId).at(-1)!;
    const answerToCarol = addsFrom(carol.connection, aliceId)[0]!;
    expect(bob.connection.fromRelay).not.toContain(answerToCarol);

    bob.connection.inject(hello.replace(aliceId, carolId));
    bob.connection.inject(hello);
    bob.connection.inject(answerToCarol);
    elsewhere.connection.inject(hello);
    elsewhere.connection.inject(hello.replace(aliceId, elsewhere.connection.selfId!));
    // Frames are handled in order: once this arrives, the forgeries before it have been dealt with.
    await send(alice.page, 'after the attack');
    await waitForMessage(bob.page, 'after the attack');

    const aliceName = (await shown(alice.page))[0]!.split(':')[0];
    expect(await shown(bob.page)).toEqual([`${aliceName}: hello from alice`, `${aliceName}: after the attack`]);
    await expect.poll(() => bob.page.locator('.unreadable').textContent()).toContain('3 ignored');
    expect(await messages(elsewhere.page)).toEqual([]);
    await expect.poll(() => elsewhere.page.locator('.unreadable').textContent()).toContain('2 ignored');
  });

  it('can forge a departure, which the tab shows, then reports as contradicted when the person speaks', async () => {
    const alice = await joinThroughProxy();
    const bob = await joinThroughProxy(alice.link);
    const carol = await joinThroughProxy(alice.link);
    await send(alice.page, 'before the forged rm');
    await waitForMessage(bob.page, 'before the forged rm');

    bob.connection.inject(`["rm","${alice.connection.selfId}"]`);
    await expect.poll(() => notices(bob.page)).toContainEqual(expect.stringContaining('left'));
    await send(alice.page, 'still here');
    await waitForMessage(carol.page, 'still here');
    await expect.poll(() => notices(bob.page)).toContainEqual(expect.stringContaining('the relay may be misbehaving'));
    expect(await shown(bob.page)).toEqual([]);
  });

  it('shows each person’s key fingerprint in the people list, the same on every screen', async () => {
    const alice = await joinThroughProxy();
    const bob = await joinThroughProxy(alice.link);
    await send(alice.page, 'hi bob');
    await send(bob.page, 'hi alice');
    await waitForMessage(alice.page, 'hi alice');
    await waitForMessage(bob.page, 'hi bob');
    const fingerprints = async (page: Page) => (await page.locator('.people .fingerprint').allTextContents()).sort();
    await expect.poll(async () => (await fingerprints(bob.page)).length).toBe(2);
    const seenByAlice = await fingerprints(alice.page);
    expect(seenByAlice).toEqual(await fingerprints(bob.page));
    expect(new Set(seenByAlice).size).toBe(2);
    for (const fingerprint of seenByAlice) expect(fingerprint).toMatch(/^key [0-9a-f]{4}( [0-9a-f]{4}){3}$/);
  });
});
