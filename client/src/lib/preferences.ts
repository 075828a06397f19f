// Preferences, and only preferences, are remembered between visits: theme,
// name, default message lifetime, how messages are shown and how the reader is
// alerted. Messages are never written anywhere.
// Each front end brings its own storage: IndexedDB in the page, a small file
// for the terminal client.
import { isValidName } from './envelope-fields.ts';
import { isTtl, type Ttl } from './ttl.ts';

export type Theme = 'light' | 'dark';

export interface Preferences {
  /** Undefined: follow the system. */
  theme: Theme | undefined;
  nickname: string | undefined;
  ttl: Ttl;
  /** Messages drawn with their Markdown formatting (the default), or as typed. */
  formatting: boolean;
  /** Desktop notifications, off by default (see alerts.ts). */
  notifications: boolean;
  /** Notifications that show who wrote and what, a separate opt-in. */
  notificationText: boolean;
  sound: boolean;
}

/** The preferences that are on or off, and how they start. */
export const switchDefaults = {
  formatting: true,
  notifications: false,
  notificationText: false,
  sound: false,
} satisfies Partial<Preferences>;

export type Switch = keyof typeof switchDefaults;

/** Where preferences are kept; either method may throw when storage is unavailable. */
export interface PreferenceStorage {
  get(key: keyof Preferences): Promise<unknown>;
  set(key: keyof Preferences, value: unknown): Promise<void>;
}

/** Reads the preferences, falling back to defaults when storage is unavailable or holds nonsense. */
export async function loadPreferences(storage: PreferenceStorage): Promise<Preferences> {
  const read = async (key: keyof Preferences): Promise<unknown> => {
    try {
      return await storage.get(key);
    } catch {
      return undefined;
    }
  };
  const switches = Object.keys(switchDefaults) as Switch[];
  const [theme, nickname, ttl, ...on] = await Promise.all([
    read('theme'),
    read('nickname'),
    read('ttl'),
    ...switches.map(read),
  ]);
  return {
    theme: theme === 'light' || theme === 'dark' ? theme : undefined,
    nickname: isValidName(nickname) ? nickname : undefined,
    ttl: isTtl(ttl) ? ttl : 0,
    ...(Object.fromEntries(
      switches.map((key, i) => [key, typeof on[i] === 'boolean' ? on[i] : switchDefaults[key]]),
    ) as Record<Switch, boolean>),
  };
}

export async function savePreference<K extends keyof Preferences>(
  storage: PreferenceStorage,
  key: K,
  value: Preferences[K],
): Promise<void> {
  try {
    await storage.set(key, value);
  } catch {
    // Private windows and read-only homes may refuse storage; the preference then lasts this visit only.
  }
}
