// Tests need a few programs from Debian's archive: Chromium for the browser
// tests, redis-server for relays sharing rooms, tmux for a real terminal
// around the terminal client, and a colour emoji font so that reactions in
// screenshots show as emoji rather than empty boxes. Install them when missing.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const chromiumPath = '/usr/bin/chromium';
export const redisServerPath = '/usr/bin/redis-server';
export const tmuxPath = '/usr/bin/tmux';
const emojiFontPath = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf';

const needed = [
  { path: chromiumPath, packages: ['chromium', 'fonts-dejavu-core'] },
  { path: redisServerPath, packages: ['redis-server'] },
  { path: tmuxPath, packages: ['tmux'] },
  { path: emojiFontPath, packages: ['fonts-noto-color-emoji'] },
];

export function ensureHostTools() {
  const missing = needed.filter(({ path }) => !existsSync(path)).flatMap(({ packages }) => packages);
  if (missing.length === 0) return;
  console.log(`onetimechat: installing Debian packages for the tests: ${missing.join(' ')}`);
  /** @type {import('node:child_process').ExecFileSyncOptions} */
  const quiet = { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  execFileSync('apt-get', ['update', '-qq'], quiet);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], quiet);
}
