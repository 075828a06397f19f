// The terminal keeps its preferences (name, default lifetime; never
// messages) in one small JSON file in the user's config directory.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isRecord } from '../lib/envelope-fields.ts';
import type { PreferenceStorage } from '../lib/preferences.ts';

/** A preferences file larger than this is not ours to read. */
const largestFile = 4096;

export function preferencesPath(env: Readonly<Record<string, string | undefined>>): string {
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'onetimechat', 'preferences.json');
}

async function readAll(path: string): Promise<Record<string, unknown>> {
  try {
    const text = await readFile(path, 'utf8');
    const parsed: unknown = text.length <= largestFile ? JSON.parse(text) : undefined;
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

export function filePreferenceStorage(path: string): PreferenceStorage {
  return {
    get: async (key) => (await readAll(path))[key],
    async set(key, value) {
      const next = { ...(await readAll(path)), [key]: value };
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Written beside and renamed, so a crash never leaves half a file.
      const partial = `${path}.${process.pid}.tmp`;
      await writeFile(partial, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
      await rename(partial, path);
    },
  };
}
