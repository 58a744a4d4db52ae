import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { connectBackend } from './lib/services/backend';
import { applyTheme } from './lib/theme/theme';

const target = document.getElementById('app');
if (!target) {
	throw new Error('index.html has no #app element');
}

// The saved setting arrives with the settings; until then the palette follows the OS, as
// the setting does by default. Resolving it here, before mount, keeps the first frame right.
applyTheme('system');

export default mount(App, { target, props: { backend: connectBackend() } });
