import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from '../../test/fake-backend';
import { i18n } from '../i18n/i18n.svelte';
import { Lab } from '../lab/lab.svelte';
import { SettingsState } from './settings.svelte';
import SettingsView from './SettingsView.svelte';

async function setup(settings = {}) {
	const backend = fakeBackend({ settings: { extra_key: 'kept', ...settings } });
	const state = new SettingsState(backend);
	const lab = new Lab();
	await state.load(lab);
	render(SettingsView, { settings: state, lab });
	return { backend, state, lab };
}

describe('SettingsView', () => {
	it('applies the theme as a data-theme attribute', async () => {
		await setup({ theme: 'light' });
		expect(document.documentElement.dataset.theme).toBe('light');
		await fireEvent.change(screen.getByTestId('theme-select'), { target: { value: 'dark' } });
		expect(document.documentElement.dataset.theme).toBe('dark');
	});

	it('switches the language at once', async () => {
		await setup({ language: 'en' });
		await fireEvent.change(screen.getByTestId('language-select'), { target: { value: 'ko' } });
		expect(i18n.lang).toBe('ko');
		expect(screen.getByText('설정')).toBeTruthy();
		await fireEvent.change(screen.getByTestId('language-select'), { target: { value: 'en' } });
		expect(i18n.lang).toBe('en');
	});

	it('refuses an inspector depth outside 1..100', async () => {
		const { state } = await setup();
		await fireEvent.input(screen.getByTestId('inspect-k-input'), { target: { value: '101' } });
		expect(screen.getByRole('alert').textContent).toContain('from 1 to 100');
		expect(state.inspectK).toBe(10);
		await fireEvent.input(screen.getByTestId('inspect-k-input'), { target: { value: '20' } });
		expect(state.inspectK).toBe(20);
	});

	it('saves every setting with the workspace and keeps unknown keys', async () => {
		const { backend, state, lab } = await setup();
		await fireEvent.click(screen.getByTestId('menu-bar-only'));
		await fireEvent.input(screen.getByTestId('default-model-input'), { target: { value: 'demo' } });
		lab.prompt = 'kept prompt';
		state.scheduleSave(state.snapshot(lab));
		await waitFor(() => expect(backend.saved).toHaveLength(1), { timeout: 2000 });
		const saved = backend.saved[0]!;
		expect(saved.menu_bar_only).toBe(true);
		expect(saved.model).toBe('demo');
		expect(saved.last_prompt).toBe('kept prompt');
		expect(saved.columns).toHaveLength(3);
		expect(saved.extra_key).toBe('kept');
	});

	it('debounces saves: several edits in a row write once', async () => {
		const { backend, state, lab } = await setup();
		for (const p of ['a', 'ab', 'abc']) {
			lab.prompt = p;
			state.scheduleSave(state.snapshot(lab));
		}
		await waitFor(() => expect(backend.saved).toHaveLength(1), { timeout: 2000 });
		await new Promise((r) => setTimeout(r, 600));
		expect(backend.saved).toHaveLength(1);
		expect(backend.saved[0]!.last_prompt).toBe('abc');
	});
});
