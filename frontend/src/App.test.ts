import { render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import App from './App.svelte';
import { placeholderRegimes } from './lib/lab/regimes';
import type { Backend, BackendStatus } from './lib/services/backend';

const notLoaded: BackendStatus = {
	version: '0.1.0-test',
	model: '',
	modelLoaded: false,
	tray: true
};

function fakeBackend(status: () => Promise<BackendStatus>): Backend & {
	ready: ReturnType<typeof vi.fn>;
} {
	return { ready: vi.fn(async () => {}), status };
}

describe('App', () => {
	it('reports its title to the backend once mounted', async () => {
		document.title = 'Knobs';
		const backend = fakeBackend(async () => notLoaded);
		render(App, { backend });
		await waitFor(() => expect(backend.ready).toHaveBeenCalledTimes(1));
		expect(backend.ready).toHaveBeenCalledWith('Knobs');
	});

	it('shows the product frame: prompt, regime columns and status bar', async () => {
		render(App, { backend: fakeBackend(async () => notLoaded) });

		expect(screen.getByLabelText('Prompt')).toBeTruthy();
		const columns = screen.getAllByRole('region');
		expect(columns).toHaveLength(placeholderRegimes.length);
		expect(screen.getByRole('heading', { name: 'Greedy' })).toBeTruthy();
		await waitFor(() =>
			expect(screen.getByRole('status').textContent).toContain('model not loaded')
		);
	});

	it('keeps Run disabled until a model is loaded', async () => {
		render(App, { backend: fakeBackend(async () => notLoaded) });
		const run = screen.getByRole('button', { name: 'Run all' }) as HTMLButtonElement;
		expect(run.disabled).toBe(true);
		expect(screen.getByText('Load a model to run the comparison.')).toBeTruthy();
	});

	it('shows a backend error by its message and code', async () => {
		const backend = fakeBackend(() =>
			Promise.reject({ code: 'model_not_found', message: 'Model tiny not found.' })
		);
		render(App, { backend });
		const status = screen.getByRole('status');
		await waitFor(() => expect(status.textContent).toContain('Model tiny not found.'));
		expect(status.dataset.code).toBe('model_not_found');
	});
});
