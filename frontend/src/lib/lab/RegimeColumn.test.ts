import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { fakeBackend } from '../../test/fake-backend';

async function mounted() {
	const backend = fakeBackend();
	render(App, { backend });
	await new Promise((r) => setTimeout(r, 20));
	return backend;
}

describe('RegimeColumn', () => {
	it('adds, duplicates and removes columns within the limits', async () => {
		await mounted();
		const add = screen.getByTestId('add-column') as HTMLButtonElement;
		for (let i = 0; i < 5; i++) await fireEvent.click(add);
		expect(screen.getAllByTestId('column')).toHaveLength(8);
		expect(add.disabled).toBe(true);
		const dup = screen.getAllByTestId('column-duplicate')[0] as HTMLButtonElement;
		expect(dup.disabled).toBe(true);
		for (let i = 0; i < 7; i++) await fireEvent.click(screen.getAllByTestId('column-remove')[0]!);
		expect(screen.getAllByTestId('column')).toHaveLength(1);
		expect((screen.getByTestId('column-remove') as HTMLButtonElement).disabled).toBe(true);
		await fireEvent.click(screen.getByTestId('column-duplicate'));
		expect(screen.getAllByTestId('column')).toHaveLength(2);
	});

	it('numbers the columns in order and moves them with the arrow buttons', async () => {
		await mounted();
		const titles = () => screen.getAllByTestId('column-title').map((e) => e.textContent);
		expect(screen.getAllByTestId('column').map((e) => e.dataset.columnIndex)).toEqual([
			'0',
			'1',
			'2'
		]);
		const left = screen.getAllByTestId('column-move-left') as HTMLButtonElement[];
		expect(left[0]!.disabled).toBe(true);
		await fireEvent.click(left[1]!);
		expect(titles()).toEqual(['Default zone', 'Greedy', 'Creative']);
	});

	it('applies a preset from the picker', async () => {
		await mounted();
		const col = screen.getAllByTestId('column')[0]!;
		await fireEvent.change(within(col).getByTestId('preset-select'), {
			target: { value: 'Creative' }
		});
		expect((within(col).getByTestId('knob-temp') as HTMLInputElement).value).toBe('1.5');
	});

	it('validates max tokens and the seed inline', async () => {
		await mounted();
		const col = screen.getAllByTestId('column')[0]!;
		await fireEvent.input(within(col).getByTestId('max-tokens'), { target: { value: '9000' } });
		expect(within(col).getByRole('alert').textContent).toContain('from 1 to 8192');
		await fireEvent.input(within(col).getByTestId('max-tokens'), { target: { value: '64' } });
		expect(within(col).queryByRole('alert')).toBeNull();
		await fireEvent.input(within(col).getByTestId('seed-input'), { target: { value: '-3' } });
		expect(within(col).getByRole('alert').textContent).toContain('whole number');
	});

	it('unlocking the seed disables its entry; re-roll locks a new one', async () => {
		await mounted();
		const col = screen.getAllByTestId('column')[0]!;
		const seed = within(col).getByTestId('seed-input') as HTMLInputElement;
		const lock = within(col).getByTestId('seed-lock') as HTMLInputElement;
		expect(lock.checked).toBe(true);
		await fireEvent.click(lock);
		expect(seed.disabled).toBe(true);
		await fireEvent.click(within(col).getByTestId('seed-reroll'));
		expect(lock.checked).toBe(true);
		expect(seed.disabled).toBe(false);
	});

	it('saves a column as a preset through the name dialog', async () => {
		const backend = await mounted();
		const col = screen.getAllByTestId('column')[1]!;
		await fireEvent.click(within(col).getByTestId('save-preset'));
		const input = screen.getByTestId('preset-name-input') as HTMLInputElement;
		expect(input.value).toBe('Default zone');
		await fireEvent.input(input, { target: { value: 'Warm' } });
		await fireEvent.click(screen.getByTestId('preset-save-confirm'));
		await new Promise((r) => setTimeout(r, 10));
		expect(backend.savePreset).toHaveBeenCalledWith(
			'Warm',
			'',
			expect.objectContaining({ temp: 0.7, name: 'Warm' })
		);
		expect(screen.queryByTestId('preset-name-input')).toBeNull();
		expect(within(col).getByTestId('column-title').textContent).toBe('Warm');
	});

	it('moves through the tokens with the arrow keys', async () => {
		await mounted();
		await fireEvent.input(screen.getByTestId('prompt-input'), { target: { value: 'Hi' } });
		await fireEvent.click(screen.getByTestId('run-all'));
		await new Promise((r) => setTimeout(r, 10));
		const out = screen.getAllByTestId('column-output')[0]!;
		await fireEvent.keyDown(out, { key: 'ArrowRight' });
		expect(within(out).getAllByTestId('token')[0]!.classList.contains('selected')).toBe(true);
		await fireEvent.keyDown(out, { key: 'ArrowRight' });
		expect(within(out).getAllByTestId('token')[1]!.classList.contains('selected')).toBe(true);
		expect(screen.getByTestId('inspector')).toBeTruthy();
		await fireEvent.keyDown(out, { key: 'Escape' });
		expect(screen.queryByTestId('inspector')).toBeNull();
	});
});

describe('RegimeColumn knobs fold', () => {
	it('folds the knobs into a one-line summary and back', async () => {
		await mounted();
		const col = screen.getAllByTestId('column')[1]!;
		const fold = within(col).getByTestId('column-knobs-toggle');
		expect(fold.getAttribute('aria-expanded')).toBe('true');
		await fireEvent.click(fold);
		expect(fold.getAttribute('aria-expanded')).toBe('false');
		expect(fold.textContent).toContain('temp 0.7 · top_p 0.95 · mlx-lm · seed');
		await fireEvent.click(fold);
		expect(within(col).getByTestId('knob-temp')).toBeTruthy();
	});
});
