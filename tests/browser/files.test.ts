// Images and files between tabs through the real relay: sent with the file
// chooser, pasted and dropped; what each tab holds compared by hash; metadata
// gone; a large file with progress while text still flows; a newcomer served
// by the author; an SVG never run; nothing in clear on the wire; and all of it
// gone when the author leaves.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSession, createRoom, openRoom, waitForMessage } from '../support/browser.ts';
import { card, choose, drawnImage } from '../support/files.ts';
import { metadataLeft, withCameraMetadata } from '../support/image-fixtures.ts';

const session = browserSession();
/** Every WebSocket frame of every tab, both ways. */
const frames: string[] = [];
let alice: Page;
let bob: Page;
let carol: Page;
let link: string;

const big = randomBytes(10 * 1024 * 1024);
const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>window.parent.svgRan = true</script><circle r="9"/></svg>';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A tab whose frames and file keys are recorded; `readsBlobs` lets the test read what its images hold. */
async function person(readsBlobs = true): Promise<Page> {
  const page = await session.browser.person({ bypassCSP: readsBlobs });
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => frames.push(String(frame.payload)));
    socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
  });
  // Records the raw AES keys the page imports: those are the file keys.
  await page.addInitScript(() => {
    const keys: number[][] = [];
    Object.assign(window, { fileKeys: keys });
    const importKey = crypto.subtle.importKey.bind(crypto.subtle) as (...args: unknown[]) => Promise<CryptoKey>;
    Object.assign(crypto.subtle, {
      importKey: (format: string, data: ArrayBuffer | Uint8Array, algorithm: unknown, ...rest: unknown[]) => {
        const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: string }).name;
        if (format === 'raw' && name === 'AES-GCM') keys.push([...new Uint8Array(data as ArrayBuffer)]);
        return importKey(format, data, algorithm, ...rest);
      },
    });
  });
  await page.addInitScript(() => {
    const violations: string[] = [];
    Object.assign(window, { cspViolations: violations });
    document.addEventListener('securitypolicyviolation', (event) => violations.push(event.effectiveDirective));
  });
  return page;
}

/** Dispatches a paste or a drop of one file, as the browser does for a screenshot or a dragged file. */
async function pasteOrDrop(page: Page, how: 'paste' | 'drop', name: string, bytes: Uint8Array): Promise<void> {
  await page.evaluate(
    ({ how, name, bytes }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name));
      const event =
        how === 'paste'
          ? new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
          : new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true });
      (how === 'paste' ? document.querySelector('#message-box')! : document.querySelector('.chat')!).dispatchEvent(
        event,
      );
    },
    { how, name, bytes: [...bytes] },
  );
}

/** The bytes behind each full image shown, by file name, read through its blob: URL. */
function shownImages(page: Page): Promise<Record<string, { url: string; bytes: number[] }>> {
  return page.evaluate(async () => {
    const shown: Record<string, { url: string; bytes: number[] }> = {};
    for (const card of document.querySelectorAll('.messages .file')) {
      const image = card.querySelector<HTMLImageElement>('img.file-image[data-file-id]');
      const name = card.querySelector('.file-name')?.textContent ?? '';
      if (image)
        shown[name] = { url: image.src, bytes: [...new Uint8Array(await (await fetch(image.src)).arrayBuffer())] };
    }
    return shown;
  });
}

async function waitForImages(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (wanted) => document.querySelectorAll('.messages img.file-image[data-file-id]').length >= wanted,
    count,
    {
      timeout: 20_000,
    },
  );
}

/** Clicks Save on a file's card and returns what was saved. */
async function save(page: Page, name: string): Promise<{ bytes: Buffer; filename: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    card(page, name).getByRole('button', { name: /^Save/ }).click(),
  ]);
  return { bytes: await readFile((await download.path())!), filename: download.suggestedFilename() };
}

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([person(), person(), person()]);
  link = await createRoom(alice, session.relay.httpUrl);
  await openRoom(bob, link);
  await openRoom(carol, link);
});

describe('images and files', () => {
  const sent: Record<string, Uint8Array> = {};

  it('an image chosen, one pasted and one dropped reach two other tabs with the same bytes, without EXIF or GPS', async () => {
    const photo = withCameraMetadata(await drawnImage(alice, 'image/jpeg'));
    expect(metadataLeft(photo)).not.toEqual([]);
    await choose(alice, 'photo.jpg', photo);
    await pasteOrDrop(alice, 'paste', 'screenshot.png', await drawnImage(alice, 'image/png'));
    await waitForImages(alice, 2);
    await pasteOrDrop(alice, 'drop', 'dropped.jpg', await drawnImage(alice, 'image/jpeg'));
    await waitForImages(alice, 3);
    const own = await shownImages(alice);
    expect(Object.keys(own).sort()).toEqual(['dropped.jpg', 'photo.jpg', 'screenshot.png']);
    for (const reader of [bob, carol]) {
      await waitForImages(reader, 3);
      const shown = await shownImages(reader);
      for (const name of Object.keys(own))
        expect(sha(new Uint8Array(shown[name]!.bytes))).toBe(sha(new Uint8Array(own[name]!.bytes)));
      const received = new Uint8Array(shown['photo.jpg']!.bytes);
      expect(metadataLeft(received)).toEqual([]);
      expect(new TextDecoder('latin1').decode(received)).not.toContain('Exif');
    }
    await alice.getByText('Location and camera data were removed from photo.jpg.').waitFor();
    for (const [name, entry] of Object.entries(own)) sent[name] = new Uint8Array(entry.bytes);
  });

  it('an SVG with a script, named .png, is offered for saving only, and nothing of it runs', async () => {
    const dialogs: string[] = [];
    bob.on('dialog', (dialog) => dialogs.push(dialog.message()));
    await choose(alice, 'evil.png', new TextEncoder().encode(svg));
    await card(bob, 'evil.png').getByRole('button', { name: /^Save/ }).waitFor();
    expect(await card(bob, 'evil.png').locator('img').count()).toBe(0);
    expect(await card(bob, 'evil.png').textContent()).toContain('SVG image (not shown)');
    const saved = await save(bob, 'evil.png');
    expect(saved.bytes.toString()).toBe(svg);
    expect(saved.filename).toBe('evil.png');
    expect(await bob.evaluate(() => (window as unknown as { svgRan?: boolean }).svgRan)).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it(
    'a 10 MiB file arrives intact with progress shown, and text sent meanwhile arrives within a second',
    { timeout: 45_000 },
    async () => {
      await choose(alice, 'big.bin', big);
      const progress = card(bob, 'big.bin').locator('.file-progress');
      await progress.waitFor({ timeout: 10_000 });
      const shownPercent = (await progress.locator('.file-percent').textContent())?.replace(/\s+/g, ' ');
      expect(shownPercent).toMatch(/Receiving .* of 10 MB \(\d+%\)/);
      const box = alice.getByLabel('Message', { exact: true });
      await box.fill('still talking');
      const sentAt = Date.now();
      await box.press('Enter');
      await waitForMessage(bob, 'still talking');
      expect(Date.now() - sentAt).toBeLessThan(1000);
      expect(await progress.isVisible()).toBe(true); // the transfer was still under way
      const saved = await save(bob, 'big.bin');
      expect(sha(saved.bytes)).toBe(sha(big));
    },
  );

  it(
    'a newcomer sees the earlier images and files, under the page CSP, can open the images and save the files',
    { timeout: 45_000 },
    async () => {
      const dave = await person(false);
      await openRoom(dave, link);
      await waitForImages(dave, 3);
      await dave.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>('img.file-image')].every(
          (image) => image.complete && image.naturalWidth > 0,
        ),
      );
      expect(await dave.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
      const names = await dave.locator('.messages .file .file-name').allTextContents();
      expect(names).toEqual(['photo.jpg', 'screenshot.png', 'dropped.jpg', 'evil.png', 'big.bin']);
      await dave.locator('img.file-image').first().click();
      await dave.locator('dialog.lightbox[open] img').waitFor();
      await dave.keyboard.press('Escape');
      expect(sha((await save(dave, 'big.bin')).bytes)).toBe(sha(big));
      expect((await save(dave, 'photo.jpg')).bytes).toEqual(Buffer.from(sent['photo.jpg']!));
    },
  );

  it('no file content, file name or file key crosses the wire in clear', async () => {
    const keys = (
      await Promise.all(
        [alice, bob, carol].map((page) =>
          page.evaluate(() => (window as unknown as { fileKeys: number[][] }).fileKeys),
        ),
      )
    ).flat();
    expect(keys.length).toBeGreaterThan(4);
    const secrets = [
      'photo.jpg',
      'screenshot.png',
      'big.bin',
      'evil.png',
      '<svg',
      ...keys.flatMap((key) => [
        Buffer.from(key).toString('base64url'),
        Buffer.from(key).toString('base64').replace(/=+$/, ''),
      ]),
      ...[0, 4096, 5_000_000].flatMap((at) => {
        const slice = big.subarray(at, at + 48);
        return [slice.toString('base64url'), slice.toString('base64'), slice.toString('hex')];
      }),
    ];
    expect(frames.length).toBeGreaterThan(300);
    const wire = frames.join('\n');
    expect(secrets.filter((secret) => wire.includes(secret))).toEqual([]);
  });

  it('when the author closes the tab, their images and files vanish within 3 s and the URLs no longer resolve', async () => {
    const urls = Object.values(await shownImages(bob)).map((image) => image.url);
    expect(urls).toHaveLength(3);
    await alice.close();
    await bob.waitForFunction(() => document.querySelectorAll('.messages .file').length === 0, undefined, {
      timeout: 3_000,
    });
    const resolving = await bob.evaluate(async (list) => {
      const results = await Promise.all(
        list.map((url) =>
          fetch(url).then(
            () => true,
            () => false,
          ),
        ),
      );
      return results.filter(Boolean).length;
    }, urls);
    expect(resolving).toBe(0);
    // The same check the page's own way: an image from a revoked URL does not load.
    const loading = await bob.evaluate(async (list) => {
      const loads = list.map(
        (url) =>
          new Promise<boolean>((resolve) => {
            const image = new Image();
            image.onload = () => resolve(true);
            image.onerror = () => resolve(false);
            image.src = url;
          }),
      );
      return (await Promise.all(loads)).filter(Boolean).length;
    }, urls);
    expect(loading).toBe(0);
  });
});
