// The reader's preferences as reactive state, saved whenever they change.
import { savePreference, type Preferences, type Theme } from './preferences.ts';
import { applyTheme, systemTheme } from './theme.ts';
import type { Ttl } from './ttl.ts';

export class Settings {
  theme = $state<Theme | undefined>();
  nickname = $state<string | undefined>();
  ttl = $state<Ttl>(0);

  constructor(preferences: Preferences) {
    this.theme = preferences.theme;
    this.nickname = preferences.nickname;
    this.ttl = preferences.ttl;
    applyTheme(this.theme);
  }

  toggleTheme(): void {
    this.theme = (this.theme ?? systemTheme()) === 'dark' ? 'light' : 'dark';
    applyTheme(this.theme);
    void savePreference('theme', this.theme);
  }

  setNickname(name: string): void {
    this.nickname = name;
    void savePreference('nickname', name);
  }

  setTtl(ttl: Ttl): void {
    this.ttl = ttl;
    void savePreference('ttl', ttl);
  }
}
