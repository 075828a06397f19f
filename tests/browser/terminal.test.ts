// The terminal client and the web page in the same rooms: the terminal runs
// in a real pseudo-terminal under tmux and is read back from its screen,
// the page in headless Chromium, both on the real relay.
import { afterEach, describe, expect, it } from 'vitest';
import {
  browserSession,
  createRoom,
  messages,
  messageTexts,
  notices,
  openRoom,
  send,
  waitForMessage,
} from '../support/browser.ts';
import { sleep } from '../support/wait.ts';
import { TmuxClient, waitFor } from '../support/terminal.ts';

const session = browserSession();
let terminals: TmuxClient[] = [];
afterEach(() => {
  for (const terminal of terminals) terminal.kill();
  terminals = [];
});

function terminal(args: string[]): TmuxClient {
  const started = TmuxClient.start(args);
  terminals.push(started);
  return started;
}

/** A room the terminal created, and its link as the terminal showed it. */
async function terminalRoom(name: string): Promise<{ tui: TmuxClient; link: string }> {
  const tui = terminal(['create', '--relay', session.relay.httpUrl, '--name', name]);
  const screen = await tui.waitFor('Room link');
  return { tui, link: /Room link \(anyone with it can join\): (\S+)/.exec(screen)![1]! };
}

describe('the terminal client with the web page', () => {
  it('joins late and gets the page’s history, then messages go both ways', async () => {
    const page = await session.browser.person();
    const link = await createRoom(page, session.relay.httpUrl);
    await send(page, 'said before the terminal came');
    const tui = terminal([link, '--name', 'Tux']);
    await tui.waitFor('said before the terminal came');
    await tui.waitFor('Connected');

    await send(page, 'hello from the page');
    await tui.waitFor('hello from the page');
    tui.type('hello from the terminal');
    await waitForMessage(page, 'hello from the terminal');
    const fromTerminal = (await messages(page)).find((message) => message.text === 'hello from the terminal');
    expect(fromTerminal?.who).toBe('Tux');
    expect(await tui.waitFor('Tux (you)')).toMatch(/Tux \(you\) #[0-9a-f]{4}: hello from the terminal/);

    await send(page, 'a long line that has to wrap once the terminal is narrow, and keep every word of it');
    await tui.waitFor('of it');
    tui.resize(40, 16);
    // tmux cuts the old lines at the new width at once; the client's own redraw wraps them.
    const joined = (screen: string): string => screen.trimEnd().split('\n').join(' ').replace(/\s+/g, ' ');
    const narrow = await waitFor(
      () => tui.screen(),
      (screen) => screen.trimEnd().split('\n').length <= 16 && joined(screen).includes('keep every word of it'),
    );
    const rows = narrow.trimEnd().split('\n');
    expect(rows.every((row) => row.length <= 40)).toBe(true);
    expect(rows.at(-1)?.trimEnd()).toMatch(/^> ?$/);
    expect(rows.at(-2)).toContain('Connected');

    // The page leaves: its messages vanish from the terminal's screen, as they do on the page.
    await page.close();
    await tui.waitFor('left, and their');
    expect(tui.screen()).not.toContain('hello from the page');
  });

  it('a page joining late gets the terminal’s history', async () => {
    const { tui, link } = await terminalRoom('Early Bird');
    tui.type('written in the terminal first');
    await tui.waitFor('Early Bird (you)');
    const page = await session.browser.person();
    await openRoom(page, link);
    await waitForMessage(page, 'written in the terminal first');
    await tui.waitFor('joined');
  });

  it('shows /nick and /me on both sides', async () => {
    const { tui, link } = await terminalRoom('Tux');
    const page = await session.browser.person();
    await openRoom(page, link);
    await tui.waitFor('joined');

    tui.type('/nick Penguin');
    await page.getByText('Tux is now called Penguin').waitFor();
    tui.type('/me waves a flipper');
    await waitForMessage(page, 'Penguin waves a flipper');
    const action = (await messages(page)).find((message) => message.text === 'Penguin waves a flipper');
    expect(action?.who).toBe('Penguin');

    await send(page, '/nick Page Person');
    await tui.waitFor('is now called Page Person');
    await send(page, '/me nods');
    expect(await tui.waitFor('nods')).toMatch(/\* Page Person #[0-9a-f]{4} nods/);
    await tui.waitFor('Here now (2): Penguin (you), Page Person');
  });

  /** Leaving one way or the other: the page sees the terminal's messages vanish within 3 s, and the terminal is left clean. */
  async function leavesAtOnce(name: string, leave: (tui: TmuxClient) => void): Promise<void> {
    const { tui, link } = await terminalRoom(name);
    const page = await session.browser.person();
    await openRoom(page, link);
    tui.type('here for a short while');
    await waitForMessage(page, 'here for a short while');
    leave(tui);
    const leftAt = Date.now();
    await page.waitForFunction(() => document.querySelectorAll('.messages .msg').length === 0, null, {
      timeout: 3000,
    });
    expect(Date.now() - leftAt).toBeLessThan(3000);
    expect(
      (await notices(page)).some(
        (line) => line.startsWith(`${name} (`) && line.endsWith(') left, and their messages vanished'),
      ),
    ).toBe(true);
    await expect.poll(() => tui.exited(), { timeout: 3000 }).toBe(true);
    // The alternate screen is gone: nothing of the conversation stays in the terminal.
    expect(tui.screen()).not.toContain('here for a short while');
  }

  it('/quit makes the terminal’s messages vanish on the page within 3 seconds', () =>
    leavesAtOnce('Leaver', (tui) => tui.type('/quit')));

  it('Ctrl-C leaves the room cleanly too', () => leavesAtOnce('Interrupted', (tui) => tui.keys('C-c')));

  it('asks for the link without echoing it when none is given', async () => {
    const page = await session.browser.person();
    const link = await createRoom(page, session.relay.httpUrl);
    const tui = terminal(['--name', 'Secretive']);
    await tui.waitFor('Room link or name:');
    tui.type(link);
    await tui.waitFor('Connected');
    expect(tui.screen()).not.toContain(link.split('#')[1]);
    await page.getByText(/^Secretive \(#[0-9a-f]{4}\) joined$/).waitFor();
    tui.type('typed after the prompt');
    await waitForMessage(page, 'typed after the prompt');
  });

  it('a hostile message full of escape sequences leaves the terminal screen intact', async () => {
    const page = await session.browser.person();
    const link = await createRoom(page, session.relay.httpUrl);
    const tui = terminal([link, '--name', 'Target']);
    await tui.waitFor('Connected');
    await send(page, 'a line that must stay');
    await tui.waitFor('a line that must stay');
    const hostile =
      '\u001b[2J\u001b[H\u001b]0;pwned\u0007\u001b]8;;http://evil.test\u001b\\click\u001b]8;;\u001b\\' +
      '\u001b[8mhidden\u001b[0m\u009b2J\u202eevil\u001b[30;1H\u001b[?1049l END';
    await send(page, hostile);
    await tui.waitFor('END');
    await sleep(200);
    const after = tui.screen();
    expect(after).toContain('a line that must stay');
    expect(after).toContain('␛[2J␛[H␛]0;pwned␇');
    expect(after).toContain('hidden');
    expect(after).not.toContain('pwned\n');
    expect(tui.title()).not.toContain('pwned');
    // Nothing moved: the conversation reads in order, and the bottom rows still belong to the client.
    const rows = after.split('\n');
    const kept = rows.findIndex((row) => row.includes('a line that must stay'));
    expect(rows[kept + 1]).toContain('␛[2J');
    expect(rows.at(-2)?.trimEnd()).toMatch(/^> ?$/);
    expect(rows.at(-3)).toContain('Connected');
    // The page removes the direction override, as every client does with deceptive characters.
    expect(await messageTexts(page)).toContain(hostile.replace('\u202e', ''));
  });
});
