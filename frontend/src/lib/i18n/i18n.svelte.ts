// A tiny typed translation layer: one dictionary per language, keys checked by the
// compiler (ko must have every key of en), {name} placeholders filled from vars.
import { en, type MessageKey } from './en';
import { ko } from './ko';

export type Language = 'en' | 'ko';

export const languages: readonly Language[] = ['en', 'ko'];

export const dictionaries: Record<Language, Record<MessageKey, string>> = { en, ko };

/** Picks the UI language from a settings value or the browser's languages. */
export function resolveLanguage(tag: string, preferred: readonly string[] = []): Language {
	for (const t of [tag, ...preferred]) {
		const base = t.toLowerCase().split('-')[0];
		if (base === 'en' || base === 'ko') return base;
	}
	return 'en';
}

class I18n {
	lang = $state<Language>('en');

	/** Returns the message key in the current language with vars filled in. */
	t = (key: MessageKey, vars?: Record<string, string | number>): string => {
		const msg = dictionaries[this.lang][key] ?? en[key];
		if (!vars) return msg;
		return msg.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
	};
}

/** The UI's language; templates that call t re-render when it changes. */
export const i18n = new I18n();

export const t = i18n.t;

export type { MessageKey };
