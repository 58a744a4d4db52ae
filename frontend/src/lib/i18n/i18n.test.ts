import { describe, expect, it } from 'vitest';
import { en } from './en';
import { dictionaries, i18n, resolveLanguage } from './i18n.svelte';
import { ko } from './ko';

describe('i18n', () => {
	it('has every English key in Korean, translated and with the same placeholders', () => {
		const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
		for (const key of Object.keys(en) as (keyof typeof en)[]) {
			expect(ko[key], key).toBeTruthy();
			expect(placeholders(ko[key]), key).toEqual(placeholders(en[key]));
		}
		expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
	});

	it('translates the visible words, not only the keys', () => {
		const same = (Object.keys(en) as (keyof typeof en)[]).filter(
			(k) => ko[k] === en[k] && !k.startsWith('knob.') && k !== 'inspector.nats'
		);
		expect(same).toEqual([]);
	});

	it('fills placeholders and follows the current language', () => {
		i18n.lang = 'en';
		expect(i18n.t('column.tokens', { n: 3 })).toBe('3 tokens');
		i18n.lang = 'ko';
		expect(i18n.t('column.tokens', { n: 3 })).toBe(
			dictionaries.ko['column.tokens'].replace('{n}', '3')
		);
		i18n.lang = 'en';
	});

	it('resolves the language from the setting, then the system', () => {
		expect(resolveLanguage('ko')).toBe('ko');
		expect(resolveLanguage('', ['ko-KR', 'en'])).toBe('ko');
		expect(resolveLanguage('', ['fr-FR'])).toBe('en');
	});
});
