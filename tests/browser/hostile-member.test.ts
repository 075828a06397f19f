// A member with the key who floods: a script sends valid, signed envelopes as
// fast as a relay without a rate limit carries them, live messages of the
// largest size and history batches near the payload limit. The victim's tab
// keeps its held history within the limits, its heap bounded, and its main
// thread answering: a message typed meanwhile is drawn promptly.
import { randomUUID } from 'node:crypto';
import type { CDPSession, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyLimits } from '../../client/src/lib/chat/history.ts';
import { maxTextLength } from '../../client/src/lib/chat/envelopes.ts';
import { createRoom, launchBrowser, send, type TestBrowser } from '../support/browser.ts';
import { joinAsHostileMember, type HostileMember } from '../support/hostile-member.ts';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { sleep } from '../support/wait.ts';

let relay: RunningRelay;
let browser: TestBrowser;

beforeAll(async () => {
  // No rate limit, and room for the victim to fall behind: the tab, not the relay, must hold the line.
  relay = await startRelay({ RATE_LIMIT: '0', MAX_BACKPRESSURE: String(512 * 1024 * 1024) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

const liveFrames = 2400;
const historyFrames = 150;
const longText = 'x'.repeat(maxTextLength);

async function flood(mallory: HostileMember): Promise<void> {
  const live = (i: number) => ({
    v: 1,
    kind: 'message',
    name: 'Mallory',
    message: { id: randomUUID(), text: `${i} ${longText}`.slice(0, maxTextLength) },
  });
  const history = (i: number) => ({
    v: 1,
    kind: 'batch',
    name: 'Mallory',
    messages: Array.from({ length: 4 }, (_, j) => ({ id: randomUUID(), text: longText, ts: 1_000_000 + i * 4 + j })),
  });
  for (let i = 0; i < Math.max(liveFrames, historyFrames); i++) {
    if (i < liveFrames) await mallory.send(live(i));
    if (i < historyFrames) await mallory.send(history(i));
  }
}

/** Milliseconds from the Enter key going down to the next frame painted after the typed message is drawn. */
async function inputToPaint(page: Page, text: string): Promise<number> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  const measured = page.evaluate(
    (wanted) =>
      new Promise<number>((resolve) => {
        let down = 0;
        document.addEventListener('keydown', (event) => event.key === 'Enter' && (down = event.timeStamp), {
          capture: true,
        });
        const drawn = (): boolean =>
          [...document.querySelectorAll('.messages .msg .text')].some((node) => node.textContent === wanted);
        new MutationObserver((_, observer) => {
          if (!drawn()) return;
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - down));
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      }),
    text,
  );
  await box.press('Enter');
  return measured;
}

/** Scrolls the message list up, as a reader would, until `locator` is drawn; resolves with how many match. */
async function scrollUpUntil(page: Page, locator: Locator): Promise<number> {
  await page.locator('.messages').hover();
  for (let i = 0; i < 30 && (await locator.count()) === 0; i++) {
    await page.mouse.wheel(0, -20_000);
    await sleep(100);
  }
  return locator.count();
}

async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

function heldEntries(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.querySelector('.messages')?.getAttribute('data-total')));
}

describe('a hostile member with the key', () => {
  it('cannot exhaust the victim’s tab or freeze it', { timeout: 90_000 }, async () => {
    const victim = await browser.person();
    const link = await createRoom(victim, relay.httpUrl);
    const cdp = await victim.context().newCDPSession(victim);
    const heapBefore = await heapAfterGc(cdp);
    const mallory = await joinAsHostileMember(relay.wsUrl, link.split('#')[1]!);
    await victim.locator('.messages .notice', { hasText: /^Someone \(#[0-9a-f]{4}\) joined$/ }).waitFor();

    const flooding = flood(mallory);
    await sleep(500);
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) latencies.push(await inputToPaint(victim, `typed during the flood ${i}`));
    await flooding;
    // Settled: the count of held entries stops changing.
    let held = -1;
    for (let now = await heldEntries(victim); now !== held; now = await heldEntries(victim)) {
      held = now;
      await sleep(1000);
    }
    const heapGrowth = (await heapAfterGc(cdp)) - heapBefore;
    const ignored = await victim
      .locator('.unreadable')
      .textContent()
      .catch(() => '');
    console.log(
      `hostile member: input-to-paint ${latencies.map((ms) => ms.toFixed(0)).join(', ')} ms; held ${held} entries;` +
        ` heap growth ${(heapGrowth / 1e6).toFixed(1)} MB; ${ignored?.trim() || 'none ignored'}`,
    );

    const mostFromOneAuthor = Math.floor(historyLimits.textPerAuthor / maxTextLength);
    // The victim's own three messages, a few notices, and at most the limit of Mallory's.
    expect(held).toBeLessThanOrEqual(mostFromOneAuthor + 10);
    expect(held).toBeGreaterThan(mostFromOneAuthor / 2);
    // Everything Mallory sent is 30 million characters; what may be held is a fifteenth of that.
    expect(heapGrowth).toBeLessThan(20 * 1024 * 1024);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    // A visible note that older messages were released, at most one per quarter minute of flood.
    const notes = await scrollUpUntil(victim, victim.locator('.messages .notice', { hasText: 'released' }));
    expect(notes).toBeGreaterThanOrEqual(1);
    expect(notes).toBeLessThanOrEqual(4);
  });

  it('cannot blind the room with a timestamp no clock can show (review finding)', async () => {
    const victim = await browser.person();
    const link = await createRoom(victim, relay.httpUrl);
    const mallory = await joinAsHostileMember(relay.wsUrl, link.split('#')[1]!);
    const message = (text: string, ts: number) => ({ id: randomUUID(), text, ts });
    for (const ts of [1e300, 8.64e15, Number.MAX_SAFE_INTEGER]) {
      await mallory.send({ v: 1, kind: 'batch', name: 'Mallory', messages: [message(`at ${ts}`, ts)] });
    }
    await mallory.send({ v: 1, kind: 'message', name: 'Mallory', message: { id: randomUUID(), text: 'drawn after' } });
    await victim.locator('.messages .msg .text', { hasText: 'drawn after' }).waitFor();
    await send(victim, 'and the room goes on');
    await victim.locator('.messages .msg:not(.pending) .text', { hasText: 'and the room goes on' }).waitFor();
    expect(await victim.locator('.messages .msg .text', { hasText: /^at / }).count()).toBe(0);
  });
});
