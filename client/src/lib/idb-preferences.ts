// The page keeps its preferences in IndexedDB.
import { createStore, get, set, type UseStore } from 'idb-keyval';
import type { PreferenceStorage } from './preferences.ts';

let store: UseStore | undefined;

function preferencesStore(): UseStore {
  store ??= createStore('onetimechat-preferences', 'preferences');
  return store;
}

export const idbPreferenceStorage: PreferenceStorage = {
  get: (key) => get(key, preferencesStore()),
  set: (key, value) => set(key, value, preferencesStore()),
};
