// The interactive screen against the real relay, in a real terminal (tmux):
// the status line follows the connection through a relay restart.
import { afterEach, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../support/relay.ts';
import { TmuxClient, waitFor } from '../support/terminal.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

it('says on the status line that it is reconnecting, and resumes when the relay is back', async () => {
  let relay: RunningRelay = await startRelay();
  cleanups.push(() => relay.stop());
  const tui = TmuxClient.start(['create', '--relay', relay.httpUrl, '--name', 'Patient']);
  cleanups.push(() => tui.kill());
  await tui.waitFor('Connected');
  tui.type('before the restart');
  await tui.waitFor('Patient (you)');

  await relay.stop();
  await tui.waitFor('Reconnecting…');
  tui.type('written while the relay was down');
  await tui.waitFor('sending…');

  relay = await startRelay({ PORT: String(relay.port) });
  await tui.waitFor('Connected', 20_000);
  // Delivered once the relay is back: the line shows its time instead of "sending…".
  const screen = await waitFor(
    () => tui.screen(),
    (text) => text.includes('written while the relay was down') && !text.includes('sending…'),
  );
  expect(screen).toMatch(/\d\d:\d\d Patient \(you\) #[0-9a-f]{4}: written while the relay was down/);
  expect(screen).toContain('before the restart');
});
