import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { fakeBackend, regime } from '../../test/fake-backend';
import type { Run } from '../services/types';
import { History } from './history.svelte';
import HistoryView from './HistoryView.svelte';

function run(id: number, prompt: string): Run {
	return {
		id,
		kind: 'compare',
		status: 'done',
		created_at: '2026-12-03T10:00:00Z',
		app_version: '0.1.0',
		model: { ref: 'tiny' },
		mode: 'raw',
		prompt,
		rendered: prompt,
		inspect_k: 10,
		columns: [
			{
				index: 0,
				regime: regime({ name: 'Greedy', seed: 1 }),
				status: 'done',
				text: `${prompt} and then`,
				stop_reason: 'length',
				stats: { tokens: 3, ttft_ms: 1, duration_ms: 2, tokens_per_sec: 3 }
			}
		]
	};
}

function setup() {
	const backend = fakeBackend({
		runs: [run(1, 'The lighthouse'), run(2, 'A haiku about rain'), run(3, 'The harbour')]
	});
	const history = new History(backend);
	render(HistoryView, { history });
	return { backend, history };
}

describe('HistoryView', () => {
	it('lists the runs and narrows them as the search is typed', async () => {
		const { backend } = setup();
		await waitFor(() => expect(screen.getAllByTestId('history-item')).toHaveLength(3));
		await fireEvent.input(screen.getByTestId('history-search'), { target: { value: 'the' } });
		await waitFor(() => expect(screen.getAllByTestId('history-item')).toHaveLength(2));
		expect(screen.getAllByTestId('history-item').map((e) => e.dataset.runId)).toEqual(['1', '3']);
		expect(backend.listRuns).toHaveBeenLastCalledWith(expect.objectContaining({ text: 'the' }));
	});

	it('opens a run, shows its columns and replays it', async () => {
		const { backend } = setup();
		await waitFor(() => expect(screen.getAllByTestId('history-open')).toHaveLength(3));
		await fireEvent.click(screen.getAllByTestId('history-open')[1]!);
		await waitFor(() => expect(screen.getByText('A haiku about rain and then')).toBeTruthy());
		await fireEvent.click(screen.getByTestId('replay'));
		await waitFor(() =>
			expect(screen.getByTestId('replay-result').textContent).toContain('identical')
		);
		expect(backend.replay).toHaveBeenCalledWith(2);
	});

	it('describes the first divergence of a replay', async () => {
		const { backend } = setup();
		backend.replay = async (id) => ({
			run_id: id,
			identical: false,
			model_changed: false,
			recorded_hash: 'a',
			current_hash: 'a',
			message: 'Replay differs.',
			divergence: {
				column: 0,
				step: 4,
				expected: 5,
				got: 6,
				expected_text: ' cat',
				got_text: ' dog'
			}
		});
		await waitFor(() => expect(screen.getAllByTestId('history-open')).toHaveLength(3));
		await fireEvent.click(screen.getAllByTestId('history-open')[0]!);
		await waitFor(() => expect(screen.getByTestId('replay')).toBeTruthy());
		await fireEvent.click(screen.getByTestId('replay'));
		await waitFor(() =>
			expect(screen.getByTestId('replay-result').textContent).toContain(
				'Column 1 differs first at token 5: expected " cat", got " dog".'
			)
		);
	});

	it('deletes a run', async () => {
		const { backend } = setup();
		await waitFor(() => expect(screen.getAllByTestId('history-item')).toHaveLength(3));
		const item = screen.getAllByTestId('history-item')[0]!;
		await fireEvent.click(within(item).getByTestId('history-delete'));
		await waitFor(() => expect(screen.getAllByTestId('history-item')).toHaveLength(2));
		expect(backend.deleteRun).toHaveBeenCalledWith(1);
	});
});

describe('HistoryView comparison', () => {
	it('compares two ticked runs side by side', async () => {
		setup();
		await waitFor(() => expect(screen.getAllByTestId('history-compare-tick')).toHaveLength(3));
		const compare = screen.getByTestId('history-compare') as HTMLButtonElement;
		expect(compare.disabled).toBe(true);
		const ticks = screen.getAllByTestId('history-compare-tick');
		await fireEvent.click(ticks[0]!);
		await fireEvent.click(ticks[2]!);
		expect(compare.disabled).toBe(false);
		await fireEvent.click(compare);
		await waitFor(() => expect(screen.getAllByTestId('history-compared')).toHaveLength(2));
		expect(screen.getByText('The harbour and then')).toBeTruthy();
		expect(screen.getByText('The lighthouse and then')).toBeTruthy();
	});
});
