// The colour theme: the 'system' setting resolved to light or dark in one place, so that
// app.css keys each palette on the root's data-theme alone and never repeats one inside a
// prefers-color-scheme query.
import type { Theme } from '../services/types';

/** A palette that app.css defines: the value of the root's data-theme attribute. */
export type Scheme = 'light' | 'dark';

/** The media query that matches while the OS prefers dark colours. */
export const darkQuery = '(prefers-color-scheme: dark)';

/** Returns the palette for setting: 'light' and 'dark' win, 'system' follows the OS. */
export function resolveTheme(setting: Theme, systemDark: boolean): Scheme {
	if (setting === 'light' || setting === 'dark') return setting;
	return systemDark ? 'dark' : 'light';
}

/**
 * Keeps root's data-theme at the resolved palette, and keeps following the OS while the
 * setting is 'system'. media is the darkQuery list, or null where matchMedia is missing
 * (jsdom), in which case 'system' means light.
 */
export class ThemeController {
	private setting: Theme = 'system';

	constructor(
		private root: HTMLElement,
		private media: MediaQueryList | null
	) {
		media?.addEventListener('change', () => this.update());
	}

	/** The palette shown now. */
	get scheme(): Scheme {
		return resolveTheme(this.setting, this.media?.matches ?? false);
	}

	/** Shows the palette for setting at once. */
	set(setting: Theme) {
		this.setting = setting;
		this.update();
	}

	private update() {
		this.root.dataset.theme = this.scheme;
	}
}

let documentTheme: ThemeController | null = null;

/**
 * Shows the palette for setting on the document, the one controller for the window.
 * main.ts calls it before mounting so that the first frame already has the right palette;
 * the settings call it again once loaded and on every change. Without a DOM it does nothing.
 */
export function applyTheme(setting: Theme) {
	if (typeof document === 'undefined') return;
	documentTheme ??= new ThemeController(document.documentElement, systemDarkQuery());
	documentTheme.set(setting);
}

function systemDarkQuery(): MediaQueryList | null {
	return typeof window.matchMedia === 'function' ? window.matchMedia(darkQuery) : null;
}
