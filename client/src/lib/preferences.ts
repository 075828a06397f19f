// Preferences, and only preferences, are remembered between visits: theme,
// name and default message lifetime. Messages are never written anywhere.
import { createStore, get, set, type UseStore } from 'idb-keyval';
import { isValidName } from './envelope-fields.ts';
import { isTtl, type Ttl } from './ttl.ts';

export type Theme = 'light' | 'dark';

export interface Preferences {
  /** Undefined: follow the system. */
  theme: Theme | undefined;
  nickname: string | undefined;
  ttl: Ttl;
}

let store: UseStore | undefined;

function preferencesStore(): UseStore {
  store ??= createStore('onetimechat-preferences', 'preferences');
  return store;
}

/** Reads the preferences, falling back to defaults when storage is unavailable or holds nonsense. */
export async function loadPreferences(): Promise<Preferences> {
  const read = async (key: string): Promise<unknown> => {
    try {
      return await get(key, preferencesStore());
    } catch {
      return undefined;
    }
  };
  const [theme, nickname, ttl] = await Promise.all([read('theme'), read('nickname'), read('ttl')]);
  return {
    theme: theme === 'light' || theme === 'dark' ? theme : undefined,
    nickname: isValidName(nickname) ? nickname : undefined,
    ttl: isTtl(ttl) ? ttl : 0,
  };
}

export async function savePreference<K extends keyof Preferences>(key: K, value: Preferences[K]): Promise<void> {
  try {
    await set(key, value, preferencesStore());
  } catch {
    // Private windows may refuse storage; the preference then lasts this visit only.
  }
}
