import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { regime, token } from '../../test/fake-backend';
import { Column } from '../lab/lab.svelte';
import Inspector from './Inspector.svelte';

function selection(over = {}) {
	const c = new Column(regime({ name: 'Warm', temp: 1, top_p: 0.6, ...over }));
	c.show([token(10, 'Hello'), token(20, ' world')], 'length', c.toRegime());
	return { column: c, step: 1 };
}

describe('Inspector', () => {
	it('asks for a token when none is selected', () => {
		render(Inspector, { selection: null });
		expect(screen.queryByTestId('inspector')).toBeNull();
		expect(screen.getByText(/Point at a generated token/)).toBeTruthy();
	});

	it('lists the candidates with exact numbers in attributes and rounded text', () => {
		render(Inspector, { selection: selection() });
		const rows = screen.getAllByTestId('inspector-candidate');
		expect(rows).toHaveLength(3);
		const [chosen, second, cut] = rows as [HTMLElement, HTMLElement, HTMLElement];
		expect(chosen.dataset.tokenId).toBe('20');
		expect(chosen.dataset.chosen).toBe('true');
		expect(Number(chosen.dataset.rawLogprob)).toBe(Math.log(0.5));
		expect(chosen.dataset.finalProb).toBe('0.625');
		expect(chosen.textContent).toContain('62.5%');
		expect(chosen.textContent).toContain('·world');
		expect(second.dataset.chosen).toBeUndefined();
		expect(cut.dataset.filteredBy).toBe('top_p');
		expect(cut.textContent).toContain('cut by top_p');
		expect(cut.classList.contains('cut')).toBe(true);
		const entropy = screen.getByTestId('inspector-entropy');
		expect(entropy.dataset.value).toBe(String(0.6615632381579821));
		expect(entropy.textContent).toContain('0.662 nats');
		expect(screen.getByTestId('inspector-kept').textContent).toBe('2');
	});

	it('reshapes the step in the playground without regenerating', async () => {
		render(Inspector, { selection: selection() });
		const bars = () =>
			[...screen.getByTestId('playground-chart').querySelectorAll('[data-prob]')].map((r) =>
				Number(r.getAttribute('data-prob'))
			);
		// The column's knobs (temp 1, top_p 0.6) give .625 / .375 / 0.
		let p = bars();
		expect(p[0]).toBeCloseTo(0.625, 12);
		expect(p[2]).toBe(0);
		await fireEvent.input(screen.getByTestId('playground-top_p'), { target: { value: '1' } });
		p = bars();
		expect(p[0]).toBeCloseTo(0.5, 12);
		expect(p[2]).toBeCloseTo(0.2, 12);
		await fireEvent.input(screen.getByTestId('playground-temp'), { target: { value: '0' } });
		expect(bars()).toEqual([1, 0, 0]);
		expect(screen.getByText(/over the top 3 candidates shown/)).toBeTruthy();
	});
});

describe('Inspector with a chosen token ranked below the recorded candidates', () => {
	it('keeps the playground sliders when the regime is replaced by an equal one', async () => {
		const sel = selection();
		const { rerender } = render(Inspector, { selection: sel });
		const temp = screen.getByTestId('playground-temp') as HTMLInputElement;
		await fireEvent.input(temp, { target: { value: '2' } });
		expect(temp.value).toBe('2');

		// The run's final result arrives: an equal regime, a new object.
		sel.column.ranRegime = { ...sel.column.ranRegime! };
		await rerender({ selection: { ...sel } });
		expect(temp.value).toBe('2');

		// Other knobs (another run) start the playground from them.
		sel.column.ranRegime = { ...sel.column.ranRegime, temp: 0.5 };
		await rerender({ selection: { ...sel } });
		expect(temp.value).toBe('0.5');
	});

	it('adds the chosen token below the candidates with its rank', () => {
		const c = new Column(regime({ temp: 1 }));
		const tk = token(10, 'x');
		tk.id = 99;
		tk.sampling = { ...tk.sampling!, token: 99, rank: 14, prob: 0.01 };
		c.show([tk], 'length', c.toRegime());
		render(Inspector, { selection: { column: c, step: 0 } });
		const rows = screen.getAllByTestId('inspector-candidate');
		expect(rows.some((r) => r.dataset.chosen === 'true')).toBe(false);
		const outside = screen.getByTestId('inspector-chosen-outside');
		expect(outside.textContent).toContain('chosen at rank 15');
		expect(outside.textContent).toContain('1.0%');
	});
});
