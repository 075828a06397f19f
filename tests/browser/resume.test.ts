// Recovery in real Chromium: a network drop resumes the same id, and a relay
// killed and started again takes everyone back without losing a message.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRoom,
  launchBrowser,
  messages,
  notices,
  openRoom,
  send,
  waitConnected,
  waitForMessage,
  type TestBrowser,
} from '../support/browser.ts';
import { freePort } from '../support/redis.ts';
import { startRelay } from '../support/relay.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

let browser: TestBrowser;
beforeAll(async () => (browser = await launchBrowser()));
afterAll(() => browser?.close());

/** Author labels (name and relay-derived tag) of every message on a screen, with its text. */
async function shown(page: Page): Promise<string[]> {
  return (await messages(page)).map(({ who, text }) => `${who.replace(' (you)', '')}: ${text}`);
}

async function waitReconnecting(page: Page): Promise<void> {
  await page.locator('.status:not(.connected)').waitFor({ timeout: 5000 });
}

describe('a network drop', () => {
  it('resumes the same id: nobody sees a departure, and nothing is lost or doubled', async () => {
    const relay = await startRelay();
    const proxy = await startTcpProxy(relay.port);
    try {
      const [traveller, friend] = [await browser.person(), await browser.person()];
      const link = await createRoom(traveller, `http://127.0.0.1:${proxy.port}`);
      await openRoom(friend, link.replace(`:${proxy.port}/`, `:${relay.port}/`));
      await send(traveller, 'entering the tunnel');
      await waitForMessage(friend, 'entering the tunnel');
      const before = await shown(friend);

      proxy.dropAll();
      await waitReconnecting(traveller);
      await send(traveller, 'written in the tunnel');
      await send(friend, 'said while you were away');
      await waitConnected(traveller);
      await waitForMessage(friend, 'written in the tunnel', 10_000);
      await waitForMessage(traveller, 'said while you were away', 10_000);

      const after = await shown(friend);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.filter((line) => line.endsWith(': written in the tunnel'))).toHaveLength(1);
      expect(after.find((line) => line.endsWith(': written in the tunnel'))?.split(':')[0]).toBe(
        before[0]!.split(':')[0],
      );
      expect((await notices(friend)).filter((line) => line.includes('left'))).toEqual([]);
      expect(await shown(traveller)).toEqual(after);
    } finally {
      await proxy.close();
      await relay.stop();
    }
  }, 40_000);
});

describe('a relay restart', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'brings every tab back with every message, after %s',
    async (signal) => {
      const env = { PORT: String(await freePort()), RELAY_SECRET: 'browser restart test' };
      const relay = await startRelay(env);
      const people = [await browser.person(), await browser.person(), await browser.person()];
      const link = await createRoom(people[0]!, relay.httpUrl);
      for (const person of people.slice(1)) await openRoom(person, link);
      for (const [index, person] of people.entries()) await send(person, `before the crash, from ${index}`);
      for (const person of people) await waitForMessage(person, 'before the crash, from 2');
      const before = await shown(people[0]!);
      expect(before).toHaveLength(3);

      await relay.stop(signal);
      for (const person of people) await waitReconnecting(person);
      const restarted = await startRelay(env);
      try {
        for (const person of people) await waitConnected(person);
        await send(people[1]!, 'after the restart');
        for (const person of people) {
          await waitForMessage(person, 'after the restart', 10_000);
          expect((await shown(person)).slice(0, 3)).toEqual(before);
          expect((await notices(person)).filter((line) => line.includes('left'))).toEqual([]);
        }
      } finally {
        await restarted.stop();
      }
    },
    60_000,
  );
});
