// Tests need a few programs from Debian's archive: Chromium for the browser
// tests, redis-server for relays sharing rooms, tmux for a real terminal
// around the terminal client. Install them when missing.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export const chromiumPath = '/usr/bin/chromium';
export const redisServerPath = '/usr/bin/redis-server';
export const tmuxPath = '/usr/bin/tmux';

const needed = [
  { path: chromiumPath, packages: ['chromium', 'fonts-dejavu-core'] },
  { path: redisServerPath, packages: ['redis-server'] },
  { path: tmuxPath, packages: ['tmux'] },
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
