import { mount } from 'svelte';
import App from './App.svelte';
import { loadPreferences } from './lib/preferences.ts';
import { Settings } from './lib/settings.svelte.ts';
import './app.css';

// Preferences are read before the first paint so a chosen theme never flashes.
const settings = new Settings(await loadPreferences());
mount(App, { target: document.getElementById('app')!, props: { settings } });
