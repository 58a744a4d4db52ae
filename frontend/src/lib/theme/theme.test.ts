import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Theme } from '../services/types';
import { darkQuery, resolveTheme, ThemeController } from './theme';

// A stand-in for matchMedia(darkQuery) whose OS preference the test flips.
class FakeMedia extends EventTarget {
	constructor(public matches: boolean) {
		super();
	}

	flip(dark: boolean) {
		this.matches = dark;
		this.dispatchEvent(new Event('change'));
	}
}

function controller(systemDark: boolean, setting: Theme) {
	const root = document.createElement('html');
	const media = new FakeMedia(systemDark);
	const theme = new ThemeController(root, media as unknown as MediaQueryList);
	theme.set(setting);
	return { root, media, theme };
}

describe('resolveTheme', () => {
	const cases: { setting: Theme; systemDark: boolean; want: string }[] = [
		{ setting: 'system', systemDark: true, want: 'dark' },
		{ setting: 'system', systemDark: false, want: 'light' },
		{ setting: 'light', systemDark: true, want: 'light' },
		{ setting: 'dark', systemDark: false, want: 'dark' }
	];
	for (const c of cases) {
		it(`${c.setting} with a ${c.systemDark ? 'dark' : 'light'} OS is ${c.want}`, () => {
			expect(resolveTheme(c.setting, c.systemDark)).toBe(c.want);
		});
	}
});

describe('ThemeController', () => {
	it('writes the resolved palette, never "system"', () => {
		expect(controller(true, 'system').root.dataset.theme).toBe('dark');
		expect(controller(false, 'system').root.dataset.theme).toBe('light');
	});

	it('follows the OS while the setting is system', () => {
		const { root, media } = controller(false, 'system');
		media.flip(true);
		expect(root.dataset.theme).toBe('dark');
		media.flip(false);
		expect(root.dataset.theme).toBe('light');
	});

	it('keeps an explicit choice when the OS changes', () => {
		const { root, media, theme } = controller(false, 'light');
		media.flip(true);
		expect(root.dataset.theme).toBe('light');
		theme.set('system');
		expect(root.dataset.theme).toBe('dark');
		theme.set('dark');
		media.flip(false);
		expect(root.dataset.theme).toBe('dark');
	});

	it('treats system as light without matchMedia', () => {
		const root = document.createElement('html');
		new ThemeController(root, null).set('system');
		expect(root.dataset.theme).toBe('light');
	});
});

describe('applyTheme', () => {
	afterEach(() => {
		vi.unstubAllGlobals();
		vi.resetModules();
	});

	it('resolves system on the document from matchMedia and stays live', async () => {
		const media = new FakeMedia(true);
		const matchMedia = vi.fn(() => media);
		vi.stubGlobal('matchMedia', matchMedia);
		vi.resetModules();
		const { applyTheme } = await import('./theme');
		applyTheme('system');
		expect(matchMedia).toHaveBeenCalledWith(darkQuery);
		expect(document.documentElement.dataset.theme).toBe('dark');
		media.flip(false);
		expect(document.documentElement.dataset.theme).toBe('light');
		applyTheme('dark');
		expect(document.documentElement.dataset.theme).toBe('dark');
	});
});
