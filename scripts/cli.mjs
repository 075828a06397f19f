#!/usr/bin/env node
// `onetimechat` / `npm run cli`: the terminal client. Node 20 cannot run
// TypeScript, so the client is compiled into dist/cli first, whenever it is
// missing or older than its sources (as `npm start` builds the relay).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/cli/client/src/terminal/main.js');
const sources = ['client/src/lib', 'client/src/terminal', 'protocol'].map((dir) => join(root, dir));

/** @param {string} dir @returns {number} the newest modification time of the .ts files under dir */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, item) => {
    const path = join(item.parentPath, item.name);
    if (item.isDirectory()) return Math.max(newest, newestSource(path));
    return item.name.endsWith('.ts') ? Math.max(newest, statSync(path).mtimeMs) : newest;
  }, 0);
}

const built = existsSync(entry) ? statSync(entry).mtimeMs : -1;
if (built < Math.max(...sources.map(newestSource))) {
  // stdout belongs to the conversation (pipe mode); the build talks on stderr.
  console.error('onetimechat: building the terminal client');
  try {
    execFileSync('npx', ['--no-install', 'tsc', '-p', join(root, 'tsconfig.cli.json')], {
      cwd: root,
      stdio: ['ignore', process.stderr, 'inherit'],
    });
  } catch {
    console.error('onetimechat: the build failed; it needs the dev dependencies (npm install, then npm run build)');
    process.exit(1);
  }
}

await import(pathToFileURL(entry).href);
