import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { builtinPresets, fakeBackend, preset, regime } from '../../test/fake-backend';
import { Lab } from '../lab/lab.svelte';
import { Presets } from '../presets/presets.svelte';
import QuickCompare from './QuickCompare.svelte';

async function setup() {
	const backend = fakeBackend({
		presets: [
			...builtinPresets,
			preset(7, 'Fav A', { favourite: true, regime: regime({ temp: 0.3 }) }),
			preset(8, 'Fav B', { favourite: true, regime: regime({ temp: 0.9 }) })
		]
	});
	const presets = new Presets(backend);
	await presets.refresh();
	const main = new Lab();
	main.prompt = 'from main';
	let opened = false;
	render(QuickCompare, { backend, presets, main, onopenmain: () => (opened = true) });
	return { backend, main, opened: () => opened };
}

describe('QuickCompare', () => {
	it('offers the favourites as toggles and runs the chosen ones side by side', async () => {
		const { backend } = await setup();
		const toggles = screen.getAllByTestId('quick-preset') as HTMLInputElement[];
		expect(toggles.map((t) => t.dataset.presetName)).toEqual(['Fav A', 'Fav B']);
		expect(toggles.every((t) => t.checked)).toBe(true);
		expect((screen.getByTestId('quick-prompt') as HTMLTextAreaElement).value).toBe('from main');
		await fireEvent.click(toggles[1]!);
		expect(screen.getAllByTestId('quick-column')).toHaveLength(1);
		await fireEvent.click(screen.getByTestId('quick-run'));
		await waitFor(() =>
			expect(screen.getByTestId('quick-column').textContent).toContain('Hello world')
		);
		expect(backend.requests[0]!.columns.map((c) => c.preset)).toEqual(['Fav A']);
	});

	it('opens the prompt and the chosen presets in the main window', async () => {
		const { main, opened } = await setup();
		await fireEvent.input(screen.getByTestId('quick-prompt'), { target: { value: 'quick one' } });
		await fireEvent.click(screen.getByTestId('open-main'));
		expect(opened()).toBe(true);
		expect(main.prompt).toBe('quick one');
		expect(main.columns.map((c) => c.preset)).toEqual(['Fav A', 'Fav B']);
	});
});
