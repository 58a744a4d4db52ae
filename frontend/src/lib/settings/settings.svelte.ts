// The persisted settings: loaded once at start, written back (debounced) on change.
import { i18n, resolveLanguage, type Language } from '../i18n/i18n.svelte';
import type { Lab } from '../lab/lab.svelte';
import { toAppError, type AppError, type Backend } from '../services/backend';
import type { Settings, Theme } from '../services/types';
import { applyTheme } from '../theme/theme';

export const themes: readonly Theme[] = ['system', 'light', 'dark'];

/** store.MaxInspectK: the deepest inspector the backend records. */
export const maxInspectK = 100;

/** How long edits settle before they are written. */
export const saveDelayMs = 500;

export class SettingsState {
	theme = $state<Theme>('system');
	/** '' follows the system language. */
	language = $state<Language | ''>('');
	defaultModel = $state('');
	menuBarOnly = $state(false);
	inspectK = $state(10);
	maxTokens = $state(128);
	loaded = $state(false);
	error = $state<AppError | null>(null);

	// base is the last file content, so that keys this version does not edit survive.
	private base: Settings | null = null;
	private timer: ReturnType<typeof setTimeout> | undefined;

	constructor(private backend: Backend) {}

	/** Loads the settings and restores the workspace they describe into lab. */
	async load(lab: Lab): Promise<void> {
		try {
			const s = await this.backend.loadSettings();
			this.base = s;
			this.theme = (themes as readonly string[]).includes(s.theme) ? (s.theme as Theme) : 'system';
			this.language = s.language === 'en' || s.language === 'ko' ? s.language : '';
			this.defaultModel = s.model ?? '';
			this.menuBarOnly = !!s.menu_bar_only;
			this.inspectK = s.inspect_k > 0 ? s.inspect_k : 10;
			this.maxTokens = s.max_tokens > 0 ? s.max_tokens : 128;
			lab.prompt = s.last_prompt ?? '';
			lab.chat = !!s.chat;
			lab.system = s.system ?? '';
			if (s.columns && s.columns.length > 0) lab.restore(s.columns);
		} catch (err) {
			this.error = toAppError(err);
		}
		this.apply(lab);
		this.loaded = true;
	}

	/** Pushes the settings that act at once: language, theme, inspector depth. */
	apply(lab: Lab) {
		const preferred = typeof navigator === 'undefined' ? [] : navigator.languages;
		i18n.lang = resolveLanguage(this.language, preferred);
		applyTheme(this.theme);
		if (typeof document !== 'undefined') document.documentElement.lang = i18n.lang;
		lab.inspectK = this.inspectK;
		lab.maxTokens = this.maxTokens;
	}

	/** The settings file content for the current workspace. */
	snapshot(lab: Lab): Settings {
		const base = this.base ?? ({} as Partial<Settings>);
		return {
			...base,
			window: base.window ?? { x: 0, y: 0, width: 1200, height: 800, maximised: false },
			last_prompt: lab.prompt,
			chat: lab.chat,
			system: lab.system,
			columns: lab.toSettings(),
			model: this.defaultModel,
			theme: this.theme,
			language: this.language,
			menu_bar_only: this.menuBarOnly,
			inspect_k: this.inspectK,
			max_tokens: this.maxTokens
		};
	}

	/** Writes snapshot after saveDelayMs, replacing a pending write. */
	scheduleSave(snapshot: Settings) {
		if (!this.loaded) return;
		clearTimeout(this.timer);
		this.timer = setTimeout(() => void this.save(snapshot), saveDelayMs);
	}

	async save(snapshot: Settings) {
		try {
			await this.backend.saveSettings(snapshot);
			this.base = snapshot;
			this.error = null;
		} catch (err) {
			this.error = toAppError(err);
		}
	}
}
