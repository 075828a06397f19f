import { mount } from 'svelte';
import App from './App.svelte';
import { loadPreferences } from './lib/preferences.ts';
import { Settings } from './lib/settings.svelte.ts';
import './app.css';

// Preferences are read while the app starts and the room connects; the page
// shows once they are applied.
const settings = new Settings(loadPreferences());
mount(App, { target: document.getElementById('app')!, props: { settings } });
