import { mount } from 'svelte';
import App from './App.svelte';
import { idbPreferenceStorage } from './lib/idb-preferences.ts';
import { Settings } from './lib/settings.svelte.ts';
import './app.css';

// Preferences are read while the app starts and the room connects; the page
// shows once they are applied.
const settings = new Settings(idbPreferenceStorage);
mount(App, { target: document.getElementById('app')!, props: { settings } });
