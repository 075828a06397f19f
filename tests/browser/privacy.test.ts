import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  createRoom,
  browserSession,
  messageTexts,
  openRoom,
  send,
  waitConnected,
  waitForMessage,
} from '../support/browser.ts';

const session = browserSession();
const requestedUrls: string[] = [];
/** Console errors and warnings, e.g. Content Security Policy violations. */
const consoleProblems: string[] = [];

/** A person whose every request and WebSocket frame is recorded. */
async function watchedPerson(frames: string[] = []): Promise<Page> {
  const page = await session.browser.person();
  page.on('request', (request) => requestedUrls.push(request.url()));
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type())) consoleProblems.push(message.text());
  });
  page.on('pageerror', (error) => consoleProblems.push(error.message));
  page.on('websocket', (socket) => {
    requestedUrls.push(socket.url());
    socket.on('framesent', (frame) => frames.push(String(frame.payload)));
    socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
  });
  return page;
}

/** Everything the page's storage areas hold, as one string. */
function storageDump(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts: string[] = [
      JSON.stringify({ ...localStorage }),
      JSON.stringify({ ...sessionStorage }),
      document.cookie,
    ];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) parts.push(request.url, await (await cache.match(request))!.text());
    }
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name!);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const storeName of db.objectStoreNames) {
        const store = db.transaction(storeName).objectStore(storeName);
        const [keys, values] = await Promise.all(
          [store.getAllKeys(), store.getAll()].map(
            (request) => new Promise<unknown>((resolve) => (request.onsuccess = () => resolve(request.result))),
          ),
        );
        parts.push(JSON.stringify({ name, storeName, keys, values }));
      }
      db.close();
    }
    parts.push(String((await navigator.serviceWorker?.getRegistrations())?.length ?? 0));
    return parts.join('\n');
  });
}

describe('privacy', () => {
  it('keeps message text out of every storage area, while preferences are stored', async () => {
    const alice = await watchedPerson();
    const bob = await watchedPerson();
    const link = await createRoom(alice, session.relay.httpUrl);
    await openRoom(bob, link);
    await send(alice, '/nick Storage Tester');
    await send(alice, 'storage-canary-alice');
    await send(bob, 'storage-canary-bob');
    await waitForMessage(alice, 'storage-canary-bob');
    await waitForMessage(bob, 'storage-canary-alice');

    for (const page of [alice, bob]) {
      const dump = await storageDump(page);
      expect(dump).not.toContain('storage-canary');
      expect(dump).not.toContain(link.split('#')[1]);
    }
    // The dump does read IndexedDB: the chosen name is a preference and is there.
    expect(await storageDump(alice)).toContain('Storage Tester');
  });

  it('sends and receives only ciphertext on the wire', async () => {
    const frames: string[] = [];
    const alice = await watchedPerson(frames);
    const bob = await watchedPerson(frames);
    const link = await createRoom(alice, session.relay.httpUrl);
    await openRoom(bob, link);
    await send(alice, '/nick Wire Watcher');
    await send(alice, 'wire-canary one two three');
    await send(bob, '/me wire-canary-action');
    await waitForMessage(bob, 'wire-canary one two three');
    await alice.locator('.msg.action:not(.pending) .text', { hasText: 'wire-canary-action' }).waitFor();

    expect(frames.length).toBeGreaterThan(6);
    const secret = link.split('#')[1]!;
    for (const frame of frames) {
      expect(frame).not.toContain('wire-canary');
      expect(frame).not.toContain('Wire Watcher');
      expect(frame).not.toContain(secret);
    }
    expect(requestedUrls.filter((url) => url.startsWith('ws')).every((url) => !url.includes(secret))).toBe(true);
  });

  it('renders a message full of HTML and script as inert text', async () => {
    const alice = await watchedPerson();
    const bob = await watchedPerson();
    const link = await createRoom(alice, session.relay.httpUrl);
    await openRoom(bob, link);
    const hostile =
      '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b> <a href="javascript:window.__pwned=3">x</a>';
    await send(alice, hostile);
    await waitForMessage(bob, hostile);
    for (const page of [alice, bob]) {
      const inside = await page.evaluate(() => {
        const text = [...document.querySelectorAll('.messages .text')].at(-1)!;
        return {
          elements: text.querySelectorAll('img, script, b, a').length,
          pwned: (window as { __pwned?: number }).__pwned,
        };
      });
      expect(inside).toEqual({ elements: 0, pwned: undefined });
    }
  });

  it('makes links clickable without fetching them, and never contacts another origin', async () => {
    const alice = await watchedPerson();
    const bob = await watchedPerson();
    const link = await createRoom(alice, session.relay.httpUrl);
    await openRoom(bob, link);
    await send(alice, 'look at https://images.example.org/cat.png please');
    await waitForMessage(bob, 'look at https://images.example.org/cat.png please');
    const anchor = bob.locator('.messages .text a');
    expect(await anchor.getAttribute('href')).toBe('https://images.example.org/cat.png');
    expect(await anchor.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await anchor.getAttribute('target')).toBe('_blank');

    const origins = new Set(requestedUrls.map((url) => new URL(url).host));
    expect(requestedUrls.length).toBeGreaterThan(4);
    expect([...origins]).toEqual([`127.0.0.1:${session.relay.port}`]);
    expect(consoleProblems).toEqual([]);
  });

  it('serves the page under strict security headers, which the browser enforces, and works under them', async () => {
    const alice = await watchedPerson();
    // Recorded from before the page's own script runs, so no violation is missed.
    await alice.addInitScript(() => {
      const seen: string[] = [];
      Object.assign(window, { cspViolations: seen });
      document.addEventListener('securitypolicyviolation', (event) => seen.push(event.effectiveDirective));
    });
    const response = await alice.goto(session.relay.httpUrl);
    const headers = response!.headers();
    const policy = headers['content-security-policy']!.split(';').map((directive) => directive.trim());
    const host = `127.0.0.1:${session.relay.port}`;
    expect(policy).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        `connect-src 'self' ws://${host} wss://${host}`,
        // Received images are shown from memory through blob: URLs, nothing more.
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ]),
    );
    expect(headers).toMatchObject({
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'cross-origin-opener-policy': 'same-origin',
      'permissions-policy': 'camera=(self), microphone=(self), display-capture=(self), geolocation=()',
    });

    await alice.getByRole('button', { name: 'Create a private room' }).click();
    await waitConnected(alice);
    await send(alice, 'works under the policy');
    await waitForMessage(alice, 'works under the policy');
    // The parts loaded on first use (the parser as the room opens, the QR encoder with the Share dialog) come
    // from the page's own origin, which the policy allows.
    await send(alice, '**loaded later**');
    await alice.locator('.msg strong', { hasText: 'loaded later' }).waitFor();
    await alice.getByRole('button', { name: 'Share', exact: true }).click();
    await alice.getByRole('img', { name: 'QR code of the room link' }).waitFor();
    await alice.getByRole('button', { name: 'Close' }).click();
    const violations = (): Promise<string[]> =>
      alice.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
    expect(await violations()).toEqual([]);

    // An inline script, as an injection would add, is refused.
    const ran = await alice.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as unknown as { inlineRan?: boolean }).inlineRan ?? false;
    });
    expect(ran).toBe(false);
    expect(await violations()).toEqual(['script-src-elem']);
    consoleProblems.length = 0; // the refused script is reported on the console, as it should be
  });

  it('remembers the theme across a reload, but not the messages', async () => {
    const alice = await watchedPerson();
    await createRoom(alice, session.relay.httpUrl);
    await send(alice, 'gone after reload');
    await waitForMessage(alice, 'gone after reload');
    expect(await alice.evaluate(() => document.documentElement.dataset.theme)).toBeUndefined();
    await alice.getByRole('button', { name: 'Switch between light and dark theme' }).click();
    expect(await alice.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const background = await alice.evaluate(() => getComputedStyle(document.body).backgroundColor);

    // The room's secret was in memory only, so a reload leaves the room; the theme stays.
    await alice.reload();
    await alice.getByRole('button', { name: 'Create a private room' }).waitFor();
    expect(await alice.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await alice.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(background);
    expect(background).not.toBe('rgb(246, 246, 243)');
    expect(await messageTexts(alice)).toEqual([]);
  });

  it('takes the secret out of the address: Back and Forward after Leave do not return to the room (review finding)', async () => {
    const alice = await watchedPerson();
    const link = await createRoom(alice, session.relay.httpUrl);
    expect(alice.url()).not.toContain('#');
    const bob = await watchedPerson();
    await openRoom(bob, link);
    expect(bob.url()).toBe(`${session.relay.httpUrl}/`);
    expect(await bob.evaluate(() => [location.hash, history.state])).toEqual(['', null]);

    await bob.locator('button[title="Leave this room"]').click();
    await bob.getByRole('button', { name: 'Create a private room' }).waitFor();
    await bob.goBack();
    await bob.goForward();
    expect(bob.url()).not.toContain('#');
    await bob.getByRole('button', { name: 'Create a private room' }).waitFor();
    expect(await bob.locator('.status').count()).toBe(0);
  });
});
