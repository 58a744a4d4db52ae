import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { builtinPresets, fakeBackend, preset, regime } from '../../test/fake-backend';
import { Lab } from '../lab/lab.svelte';
import PresetsBar from './PresetsBar.svelte';
import { Presets } from './presets.svelte';

async function setup() {
	const backend = fakeBackend({
		presets: [
			...builtinPresets,
			preset(7, 'Mine', { favourite: true, regime: regime({ temp: 0.3, top_k: 40 }) }),
			preset(8, 'Plain', { regime: regime({ temp: 0.9 }) }),
			preset(9, 'Gone', { builtin: 'untamed', hidden: true })
		]
	});
	const presets = new Presets(backend);
	await presets.refresh();
	const lab = new Lab();
	render(PresetsBar, { lab, presets });
	return { backend, presets, lab };
}

describe('PresetsBar', () => {
	it('shows built-ins and favourites as chips, not hidden or plain presets', async () => {
		await setup();
		const names = screen.getAllByTestId('preset-chip').map((c) => c.dataset.presetName);
		expect(names).toEqual(['Greedy', 'Default zone', 'Creative', 'Mine']);
	});

	it('applies a chip to the focused column and adds one with Shift', async () => {
		const { lab } = await setup();
		lab.focused = 2;
		const mine = screen.getAllByTestId('preset-chip').find((c) => c.dataset.presetName === 'Mine')!;
		await fireEvent.click(mine);
		expect(lab.columns[2]!.regime.top_k).toBe(40);
		expect(lab.columns[2]!.preset).toBe('Mine');
		await fireEvent.click(mine, { shiftKey: true });
		expect(lab.columns).toHaveLength(4);
		expect(lab.columns[3]!.regime.temp).toBe(0.3);
	});

	it('manages presets: favourite, hide, rename, delete, export and import', async () => {
		const { backend, presets } = await setup();
		await fireEvent.click(screen.getByTestId('manage-presets'));
		const dialog = screen.getByRole('dialog');
		await fireEvent.click(within(dialog).getByLabelText('Favourite Plain'));
		await new Promise((r) => setTimeout(r, 0));
		expect(presets.byName('Plain')!.favourite).toBe(true);
		await fireEvent.click(within(dialog).getByLabelText('Rename Plain'));
		await fireEvent.input(within(dialog).getByLabelText('New name for Plain'), {
			target: { value: 'Plainer' }
		});
		await fireEvent.click(within(dialog).getByText('Save'));
		await new Promise((r) => setTimeout(r, 0));
		expect(presets.byName('Plainer')).toBeTruthy();
		await fireEvent.click(within(dialog).getByLabelText('Delete Plainer'));
		await new Promise((r) => setTimeout(r, 0));
		expect(presets.byName('Plainer')).toBeUndefined();
		expect(within(dialog).queryByLabelText('Delete Greedy')).toBeNull();

		await fireEvent.input(within(dialog).getByLabelText('Preset file (full path)'), {
			target: { value: '/tmp/p.json' }
		});
		await fireEvent.click(within(dialog).getByText('Export my presets'));
		await new Promise((r) => setTimeout(r, 0));
		expect(backend.exportPresets).toHaveBeenCalledWith('/tmp/p.json', []);
		expect(within(dialog).getByRole('status').textContent).toContain('/tmp/p.json');
		await fireEvent.click(within(dialog).getByText('Import'));
		await new Promise((r) => setTimeout(r, 0));
		expect(within(dialog).getByRole('status').textContent).toContain('Added 1 presets.');
		await fireEvent.keyDown(dialog, { key: 'Escape' });
		expect(screen.queryByRole('dialog')).toBeNull();
	});

	it('shows a backend error by its message', async () => {
		const { backend, presets } = await setup();
		backend.exportPresets = () => Promise.reject({ code: 'preset_io', message: 'Cannot write.' });
		await presets.exportTo('/nope');
		await new Promise((r) => setTimeout(r, 0));
		expect(screen.getByRole('alert').textContent).toBe('Cannot write.');
	});
});
