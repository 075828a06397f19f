// Shared helpers for browser tests: Debian's Chromium driven by playwright-core,
// one browser context per person (separate storage, like separate people).
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { chromiumPath } from '../../scripts/host-tools.mjs';
import { startRelay, type RunningRelay } from './relay.ts';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface PersonOptions {
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  /** Lets the test's own page scripts read blob: URLs, which the page's CSP rightly forbids. */
  bypassCSP?: boolean;
  /** Storage to start with (cookies, local storage, IndexedDB), as a context's storageState() gave it. */
  storageState?: BrowserContextOptions['storageState'];
}

export interface TestBrowser {
  browser: Browser;
  /** A new person: a fresh context (own storage) with one page. */
  person(options?: PersonOptions): Promise<Page>;
  close(): Promise<void>;
}

/** What call tests add: fake camera and microphone granted without a prompt, and ICE on loopback. */
export const mediaArgs = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  // Host candidates as plain addresses: nothing here answers mDNS for the .local names Chromium would use.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export async function launchBrowser(extraArgs: readonly string[] = []): Promise<TestBrowser> {
  // Playwright gives the browser a fresh temporary profile, and each context its own storage.
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, ...extraArgs] });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async person(options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1100, height: 760 },
        colorScheme: options.colorScheme ?? 'light',
        bypassCSP: options.bypassCSP ?? false,
        storageState: options.storageState,
      });
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      await Promise.allSettled(contexts.map((context) => context.close()));
      await browser.close();
    },
  };
}

export interface BrowserSession {
  readonly relay: RunningRelay;
  readonly browser: TestBrowser;
}

/** A relay and a browser for the tests of one file: started before them, stopped after. */
export function browserSession(
  options: { relayEnv?: Record<string, string>; browserArgs?: readonly string[] } = {},
): BrowserSession {
  let relay: RunningRelay | undefined;
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    relay = await startRelay(options.relayEnv);
    browser = await launchBrowser(options.browserArgs);
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the session starts in beforeAll');
    return value;
  };
  return {
    get relay() {
      return started(relay);
    },
    get browser() {
      return started(browser);
    },
  };
}

/** Opens the landing page and creates a room; resolves with the room's link. */
export async function createRoom(page: Page, httpUrl: string): Promise<string> {
  await page.goto(httpUrl);
  await page.getByRole('button', { name: 'Create a private room' }).click();
  await waitConnected(page);
  return roomLinkOf(page);
}

/** The link of the room a page is in, as its Copy link button gives it: the address bar no longer holds it. */
export async function roomLinkOf(page: Page): Promise<string> {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  // Clicking moves the focus; it goes back where the page had put it, so tests still see the page's own focus.
  const focused = await page.evaluateHandle(() => document.activeElement);
  await page.getByRole('button', { name: /^(Copy link|Copied)$/ }).click();
  await focused.evaluate((element) => (element as HTMLElement | null)?.focus());
  return page.evaluate(() => navigator.clipboard.readText());
}

/** Opens a room link and waits until the socket is connected. */
export async function openRoom(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await waitConnected(page);
}

export async function waitConnected(page: Page): Promise<void> {
  await page.locator('.status.connected').waitFor({ timeout: 10_000 });
}

/** Types into the message box and presses Enter, as a person would. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

export interface ShownMessage {
  who: string;
  text: string;
  pending: boolean;
}

/** The messages on screen, oldest first. */
export function messages(page: Page): Promise<ShownMessage[]> {
  return page.locator('.messages .msg').evaluateAll((items) =>
    items.map((item) => ({
      who: item.querySelector('.who')?.textContent ?? '',
      text: item.querySelector('.text')?.textContent ?? '',
      pending: item.classList.contains('pending'),
    })),
  );
}

export async function messageTexts(page: Page): Promise<string[]> {
  return (await messages(page)).map((message) => message.text);
}

/** The notice lines (joins, leaves, command answers), oldest first. */
export function notices(page: Page): Promise<string[]> {
  return page.locator('.messages .notice').allTextContents();
}

/** Waits until a message with exactly this text is on screen (delivered, not pending). */
export async function waitForMessage(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      [...document.querySelectorAll('.messages .msg:not(.pending) .text')].some((node) => node.textContent === wanted),
    text,
    { timeout },
  );
}
