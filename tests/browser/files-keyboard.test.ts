// The attach menu from the keyboard alone: open it, move through it, close it
// with Escape, and send a photo "as file, untouched"; the other tab receives
// exactly the bytes chosen, metadata and all, and the sender is told so.
import { createHash } from 'node:crypto';
import type { FileChooser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserSession, createRoom, openRoom } from '../support/browser.ts';
import { card, drawnImage } from '../support/files.ts';
import { metadataLeft, withCameraMetadata } from '../support/image-fixtures.ts';

const session = browserSession();
let alice: Page;
let bob: Page;
/** Every file chooser alice's page opened. Listening from the start matters: Playwright turns on catching
 * choosers only when the first listener is added, asynchronously, and a chooser opened before that is missed. */
const choosers: FileChooser[] = [];

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What has keyboard focus: its accessible label or text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement;
    return element?.getAttribute('aria-label') ?? element?.textContent?.trim() ?? '';
  });
}

beforeAll(async () => {
  // bob's page lets the test read the image it shows through its blob: URL.
  [alice, bob] = await Promise.all([session.browser.person(), session.browser.person({ bypassCSP: true })]);
  alice.on('filechooser', (chooser) => choosers.push(chooser));
  const link = await createRoom(alice, session.relay.httpUrl);
  await openRoom(bob, link);
});

describe('the attach menu', () => {
  // Each wait has its own bound, well inside the test's, so a slow step under load names itself.
  const stepMs = 15_000;

  it(
    'sends an image as a file, untouched, by keyboard alone, and the receiver holds the exact bytes',
    { timeout: 60_000 },
    async () => {
      const photo = withCameraMetadata(await drawnImage(alice, 'image/jpeg'));
      expect(metadataLeft(photo)).not.toEqual([]);
      const attach = alice.getByRole('button', { name: 'Attach images or files' });

      // From the message box, one step back is the attach button.
      await alice.getByLabel('Message', { exact: true }).focus();
      await alice.keyboard.press('Shift+Tab');
      expect(await focused(alice)).toBe('Attach images or files');
      expect(await attach.getAttribute('aria-haspopup')).toBe('menu');
      expect(await attach.getAttribute('aria-expanded')).toBe('false');

      // Arrow down opens it on the first item; arrows wrap; Escape closes it and goes back to the button.
      await alice.keyboard.press('ArrowDown');
      expect(await attach.getAttribute('aria-expanded')).toBe('true');
      expect(await focused(alice)).toBe('Attach files…');
      await alice.keyboard.press('ArrowDown');
      expect(await focused(alice)).toBe('Send as file, untouched…');
      await alice.keyboard.press('ArrowDown');
      expect(await focused(alice)).toBe('Attach files…');
      await alice.keyboard.press('Escape');
      expect(await attach.getAttribute('aria-expanded')).toBe('false');
      expect(await alice.getByRole('menu').count()).toBe(0);
      expect(await focused(alice)).toBe('Attach images or files');

      // Space opens it too; Arrow up from the first item reaches the last; Enter chooses it.
      await alice.keyboard.press('Space');
      expect(await focused(alice)).toBe('Attach files…');
      await alice.keyboard.press('ArrowUp');
      expect(await focused(alice)).toBe('Send as file, untouched…');
      await alice.keyboard.press('Enter');
      await expect.poll(() => choosers.length, { timeout: stepMs }).toBe(1);
      const chooser = choosers[0]!;
      expect(chooser.isMultiple()).toBe(true);
      await chooser.setFiles({ name: 'camera.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(photo) });
      expect(await attach.getAttribute('aria-expanded')).toBe('false');

      await alice.getByText('camera.jpg was sent as a file, untouched.').waitFor({ timeout: stepMs });
      const image = card(bob, 'camera.jpg').locator('img.file-image[data-file-id]');
      await image.waitFor({ timeout: stepMs });
      const received = new Uint8Array(
        await image.evaluate(async (element: HTMLImageElement) => [
          ...new Uint8Array(await (await fetch(element.src)).arrayBuffer()),
        ]),
      );
      expect(sha(received)).toBe(sha(photo));
      expect(metadataLeft(received)).toEqual(metadataLeft(photo));
    },
  );

  it('opens the menu on a click instead of sending at once, whatever the modifier', async () => {
    const attach = alice.getByRole('button', { name: 'Attach images or files' });
    const opened = choosers.length;
    await attach.click({ modifiers: ['Alt'] });
    expect(await attach.getAttribute('aria-expanded')).toBe('true');
    await alice.getByRole('menuitem', { name: 'Attach files…' }).waitFor();
    await attach.click({ button: 'right' });
    expect(choosers.length).toBe(opened);
    await alice.keyboard.press('Escape');
    expect(await attach.getAttribute('aria-expanded')).toBe('false');
  });
});
