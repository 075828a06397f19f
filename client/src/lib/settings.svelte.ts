// The reader's preferences as reactive state, saved whenever they change.
import type { AlertChoices } from './alerts.ts';
import {
  loadPreferences,
  savePreference,
  switchDefaults,
  type PreferenceStorage,
  type Switch,
  type Theme,
} from './preferences.ts';
import { applyTheme, systemTheme } from './theme.ts';
import type { Ttl } from './ttl.ts';

export class Settings {
  theme = $state<Theme | undefined>();
  nickname = $state<string | undefined>();
  ttl = $state<Ttl>(0);
  /** What is on or off: formatting, notifications, their text, sound. */
  readonly switches = $state<Record<Switch, boolean>>({ ...switchDefaults });

  /** Resolves once the stored preferences are read and applied. */
  readonly loaded: Promise<void>;

  readonly #storage: PreferenceStorage;

  /** The page stays hidden until the stored theme is applied, so the wrong one never flashes. */
  constructor(storage: PreferenceStorage) {
    this.#storage = storage;
    this.loaded = loadPreferences(storage).then((stored) => {
      this.theme = stored.theme;
      this.nickname = stored.nickname;
      this.ttl = stored.ttl;
      for (const key of Object.keys(switchDefaults) as Switch[]) this.switches[key] = stored[key];
      applyTheme(this.theme);
      delete document.documentElement.dataset.loading;
    });
  }

  toggleTheme(): void {
    this.theme = (this.theme ?? systemTheme()) === 'dark' ? 'light' : 'dark';
    applyTheme(this.theme);
    void savePreference(this.#storage, 'theme', this.theme);
  }

  setNickname(name: string): void {
    this.nickname = name;
    void savePreference(this.#storage, 'nickname', name);
  }

  setTtl(ttl: Ttl): void {
    this.ttl = ttl;
    void savePreference(this.#storage, 'ttl', ttl);
  }

  setSwitch(key: Switch, on: boolean): void {
    this.switches[key] = on;
    void savePreference(this.#storage, key, on);
  }

  get alertChoices(): AlertChoices {
    const { notifications, notificationText, sound } = this.switches;
    return { notifications, notificationText, sound };
  }
}
