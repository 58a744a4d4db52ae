import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { builtinPresets, fakeBackend, preset, type FakeBackend } from '../../test/fake-backend';
import { Lab } from '../lab/lab.svelte';
import PresetsBar from './PresetsBar.svelte';
import { Presets } from './presets.svelte';

// withStoreOrder gives the fake backend the store's reorder: the ids first, in their
// order, then every other preset in its old order; presets() lists them that way.
function withStoreOrder(backend: FakeBackend) {
	const list = backend.presets;
	let order: number[] = [];
	backend.reorderPresets = vi.fn(async (ids: number[]) => {
		const all = (await list(true)).map((p) => p.id);
		order = [...ids, ...all.filter((id) => !ids.includes(id))];
	});
	backend.presets = async (withHidden) => {
		const rank = (id: number) => (order.includes(id) ? order.indexOf(id) : order.length);
		return (await list(withHidden)).sort((a, b) => rank(a.id) - rank(b.id));
	};
}

async function setup() {
	const backend = fakeBackend({
		presets: [
			...builtinPresets,
			preset(7, 'Mine', { favourite: true }),
			preset(9, 'Gone', { builtin: 'untamed', hidden: true }),
			preset(8, 'Plain')
		]
	});
	withStoreOrder(backend);
	const presets = new Presets(backend);
	await presets.refresh();
	render(PresetsBar, { lab: new Lab(), presets });
	await fireEvent.click(screen.getByTestId('manage-presets'));
	const dialog = screen.getByRole('dialog');
	return { backend, presets, dialog };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const rows = (dialog: HTMLElement) =>
	within(dialog)
		.getAllByTestId('preset-row')
		.map((li) => li.dataset.presetName);
const chips = () => screen.getAllByTestId('preset-chip').map((c) => c.dataset.presetName);

describe('PresetManager reordering', () => {
	it('disables moving past either end', async () => {
		const { dialog } = await setup();
		const arrow = (label: string) => within(dialog).getByLabelText<HTMLButtonElement>(label);
		expect(arrow('Move Greedy up').disabled).toBe(true);
		expect(arrow('Move Greedy down').disabled).toBe(false);
		expect(arrow('Move Plain down').disabled).toBe(true);
		expect(arrow('Move Plain up').disabled).toBe(false);
	});

	it('moves a preset, sends every id (hidden ones too) and keeps the focus on it', async () => {
		const { backend, presets, dialog } = await setup();
		const up = within(dialog).getByLabelText('Move Mine up');
		up.focus();
		await fireEvent.click(up);
		await settle();

		expect(rows(dialog)).toEqual(['Greedy', 'Default zone', 'Mine', 'Creative', 'Gone', 'Plain']);
		expect(chips()).toEqual(['Greedy', 'Default zone', 'Mine', 'Creative']);
		expect(backend.reorderPresets).toHaveBeenCalledWith([1, 2, 7, 3, 9, 8]);
		expect(document.activeElement).toBe(within(dialog).getByLabelText('Move Mine up'));
		expect(within(dialog).getByRole('status').textContent).toBe('Mine is now number 3 of 6.');

		// The store agrees: a refresh reads the same order back.
		await presets.refresh();
		expect(rows(dialog)).toEqual(['Greedy', 'Default zone', 'Mine', 'Creative', 'Gone', 'Plain']);
	});

	it('moves built-ins and past hidden presets, then hands the focus to the other arrow at an end', async () => {
		const { backend, dialog } = await setup();
		await fireEvent.click(within(dialog).getByLabelText('Move Greedy down'));
		await settle();
		expect(chips()).toEqual(['Default zone', 'Greedy', 'Creative', 'Mine']);

		await fireEvent.click(within(dialog).getByLabelText('Move Plain up'));
		await settle();
		expect(rows(dialog)).toEqual(['Default zone', 'Greedy', 'Creative', 'Mine', 'Plain', 'Gone']);
		expect(backend.reorderPresets).toHaveBeenLastCalledWith([2, 1, 3, 7, 8, 9]);

		await fireEvent.click(within(dialog).getByLabelText('Move Default zone down'));
		await fireEvent.click(within(dialog).getByLabelText('Move Default zone up'));
		await settle();
		expect(rows(dialog)[0]).toBe('Default zone');
		expect(document.activeElement).toBe(within(dialog).getByLabelText('Move Default zone down'));
	});

	it('rolls back and shows the error when the store refuses', async () => {
		const { backend, presets, dialog } = await setup();
		let refuse = () => {};
		backend.reorderPresets = vi.fn(
			() =>
				new Promise<void>((_, reject) => {
					refuse = () => reject({ code: 'preset_not_found', message: 'That preset is gone.' });
				})
		);
		const moving = presets.move(presets.byName('Plain')!, -1);
		await settle();
		expect(rows(dialog)).toEqual(['Greedy', 'Default zone', 'Creative', 'Mine', 'Plain', 'Gone']);

		refuse();
		expect(await moving).toBe(false);
		await settle();
		expect(rows(dialog)).toEqual(['Greedy', 'Default zone', 'Creative', 'Mine', 'Gone', 'Plain']);
		const alert = within(dialog).getByRole('alert');
		expect(alert.textContent).toBe('That preset is gone.');
		expect(alert.dataset.code).toBe('preset_not_found');
	});

	it('reads the store again when a failed move has been overtaken by another', async () => {
		const { backend, presets } = await setup();
		const store = backend.reorderPresets;
		backend.reorderPresets = vi
			.fn()
			.mockRejectedValueOnce({ code: 'internal', message: 'Disk full.' })
			.mockImplementation(store);
		const first = presets.move(presets.byName('Mine')!, -1);
		const second = presets.move(presets.byName('Plain')!, -1);
		expect(await first).toBe(false);
		expect(await second).toBe(true);
		await settle();
		// Only the second order reached the store, and it already held the first move.
		expect(presets.all.map((p) => p.name)).toEqual([
			'Greedy',
			'Default zone',
			'Mine',
			'Creative',
			'Plain',
			'Gone'
		]);
		expect(presets.all.map((p) => p.id)).toEqual((await backend.presets(true)).map((p) => p.id));
	});

	it('keeps a move made while the list is being read', async () => {
		const { backend, presets } = await setup();
		const list = backend.presets;
		let release = () => {};
		backend.presets = async (withHidden) => {
			const stale = await list(withHidden);
			await new Promise<void>((r) => (release = r));
			return stale;
		};
		const refreshing = presets.refresh();
		await settle();
		backend.presets = list;
		const moving = presets.move(presets.byName('Plain')!, -1);
		release();
		await Promise.all([refreshing, moving]);
		expect(presets.all.map((p) => p.name).slice(-2)).toEqual(['Plain', 'Gone']);
	});

	it('drops a dragged preset in the place of the one under it', async () => {
		const { backend, dialog } = await setup();
		const row = (name: string) =>
			within(dialog)
				.getAllByTestId('preset-row')
				.find((li) => li.dataset.presetName === name)!;
		expect(row('Mine').getAttribute('draggable')).toBe('true');
		await fireEvent.dragStart(row('Mine'));
		await fireEvent.dragOver(row('Greedy'));
		expect(row('Greedy').classList.contains('over')).toBe(true);
		await fireEvent.drop(row('Greedy'));
		await settle();
		expect(rows(dialog)).toEqual(['Mine', 'Greedy', 'Default zone', 'Creative', 'Gone', 'Plain']);
		expect(backend.reorderPresets).toHaveBeenCalledWith([7, 1, 2, 3, 9, 8]);

		await fireEvent.dragStart(row('Greedy'));
		await fireEvent.drop(row('Plain'));
		await settle();
		expect(rows(dialog)).toEqual(['Mine', 'Default zone', 'Creative', 'Gone', 'Plain', 'Greedy']);
	});
});
