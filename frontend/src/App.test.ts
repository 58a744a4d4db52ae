import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { fakeBackend } from './test/fake-backend';

describe('App', () => {
	it('reports its title to the backend once mounted', async () => {
		document.title = 'Knobs';
		const backend = fakeBackend();
		render(App, { backend });
		await waitFor(() => expect(backend.ready).toHaveBeenCalledTimes(1));
		expect(backend.ready).toHaveBeenCalledWith('Knobs');
	});

	it('shows the product frame: prompt, three starter columns and status bar', async () => {
		render(App, { backend: fakeBackend() });
		expect(screen.getByLabelText('Prompt')).toBeTruthy();
		const columns = screen.getAllByTestId('column');
		expect(columns).toHaveLength(3);
		expect(within(columns[0]!).getByTestId('column-title').textContent).toBe('Greedy');
		await waitFor(() => expect(screen.getByRole('status').textContent).toContain('model tiny'));
	});

	it('keeps Run disabled until a model is loaded', async () => {
		const backend = fakeBackend({
			status: { version: '0', model: '', modelLoaded: false, tray: false },
			labStatus: { state: 'empty', identity: {} }
		});
		render(App, { backend });
		const run = screen.getByTestId('run-all') as HTMLButtonElement;
		expect(run.disabled).toBe(true);
		await waitFor(() =>
			expect(screen.getByText(/Load a model to run the comparison./)).toBeTruthy()
		);
		await fireEvent.click(screen.getByTestId('model-load-default'));
		expect(backend.loadModel).toHaveBeenCalledWith('');
	});

	it('shows a backend error by its message and code', async () => {
		const backend = fakeBackend();
		backend.status = () =>
			Promise.reject({ code: 'model_not_found', message: 'Model tiny not found.' });
		render(App, { backend });
		const status = screen.getByRole('status');
		await waitFor(() => expect(status.textContent).toContain('Model tiny not found.'));
		expect(status.dataset.code).toBe('model_not_found');
	});

	it('runs every column with Ctrl+Enter and streams the tokens', async () => {
		const backend = fakeBackend();
		render(App, { backend });
		await settled();
		const prompt = screen.getByTestId('prompt-input');
		await fireEvent.input(prompt, { target: { value: 'Once' } });
		await waitFor(() =>
			expect((screen.getByTestId('run-all') as HTMLButtonElement).disabled).toBe(false)
		);
		await fireEvent.keyDown(prompt, { key: 'Enter', ctrlKey: true });
		await waitFor(() => expect(screen.getAllByTestId('token')).toHaveLength(6));
		expect(backend.requests[0]!.columns).toHaveLength(3);
		expect(backend.requests[0]!.prompt).toBe('Once');
		const stats = screen.getAllByTestId('column-stats')[0]!;
		expect(stats.dataset.stopReason).toBe('length');
		expect(stats.textContent).toContain('40 tok/s');
		expect(screen.getAllByTestId('column-output')[0]!.textContent).toContain('Hello world');
	});

	it('opens the inspector on a clicked token', async () => {
		render(App, { backend: fakeBackend() });
		await settled();
		await fireEvent.input(screen.getByTestId('prompt-input'), { target: { value: 'Once' } });
		await fireEvent.click(screen.getByTestId('run-all'));
		await waitFor(() => expect(screen.getAllByTestId('token').length).toBeGreaterThan(0));
		await fireEvent.click(screen.getAllByTestId('token')[1]!);
		const inspector = screen.getByTestId('inspector');
		expect(within(inspector).getAllByTestId('inspector-candidate')).toHaveLength(3);
	});

	it('restores the saved workspace and saves changes', async () => {
		const backend = fakeBackend({
			settings: {
				last_prompt: 'saved prompt',
				theme: 'dark',
				language: 'ko',
				columns: [{ preset: 'Mine', regime: { ...fakeRegime(), name: 'Mine', temp: 0.3, seed: 5 } }]
			}
		});
		render(App, { backend });
		await waitFor(() => expect(screen.getAllByTestId('column')).toHaveLength(1));
		expect((screen.getByTestId('prompt-input') as HTMLTextAreaElement).value).toBe('saved prompt');
		expect(document.documentElement.dataset.theme).toBe('dark');
		expect(screen.getByTestId('run-all').textContent).toContain('모두 실행');
		await fireEvent.click(screen.getByTestId('add-column'));
		await waitFor(() => expect(backend.saved.length).toBeGreaterThan(0), { timeout: 2000 });
		const last = backend.saved.at(-1)!;
		expect(last.columns).toHaveLength(2);
		expect(last.columns![0]!.regime.temp).toBe(0.3);
		expect(last.language).toBe('ko');
	});
});

function fakeRegime() {
	return {
		temp: 0,
		top_p: 1,
		top_k: 0,
		min_p: 0,
		repetition_penalty: 1,
		repetition_context: 20,
		presence_penalty: 0,
		frequency_penalty: 0,
		sampler: 'mlx-lm' as const
	};
}

// settled lets the mount's backend calls (status, settings, presets) resolve.
function settled(): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, 20));
}

describe('App events from the Go side', () => {
	it('shows the quick compare route when the tray asks for it', async () => {
		const backend = fakeBackend();
		render(App, { backend });
		await settled();
		backend.emitNavigate('#/quick');
		await waitFor(() => expect(screen.getByTestId('quick-compare')).toBeTruthy());
		await fireEvent.click(screen.getByTestId('open-main'));
		await waitFor(() => expect(screen.getAllByTestId('column').length).toBeGreaterThan(0));
	});

	it('runs every column on app:run-all, with a sample prompt if none was typed', async () => {
		const backend = fakeBackend();
		render(App, { backend });
		await settled();
		backend.emitRunAll();
		await waitFor(() => expect(backend.requests).toHaveLength(1));
		expect(backend.requests[0]!.prompt).toBe('The old lighthouse keeper');
		expect(backend.requests[0]!.columns).toHaveLength(3);
	});
});

describe('App start', () => {
	it('leaves the start-up load to the Go side, even with an empty lab', async () => {
		const backend = fakeBackend({
			labStatus: { state: 'empty', identity: {} },
			settings: { model: 'org/fav' }
		});
		render(App, { backend });
		await settled();
		expect(backend.loadModel).not.toHaveBeenCalled();
	});

	it('reports the columns after a Run all the app asked for', async () => {
		let runAll: () => void = () => {};
		const backend = fakeBackend();
		backend.onRunAll = (h) => {
			runAll = h;
			return () => {};
		};
		render(App, { backend });
		await settled();
		runAll();
		await waitFor(() =>
			expect(backend.uiReport).toHaveBeenCalledWith('run-all-done', expect.any(String))
		);
	});

	it('leaves a resident model alone', async () => {
		const backend = fakeBackend({ settings: { model: 'org/fav' } });
		render(App, { backend });
		await settled();
		expect(backend.loadModel).not.toHaveBeenCalled();
	});
});

describe('App notices', () => {
	it('shows the notices of files set aside at start until dismissed', async () => {
		const backend = fakeBackend();
		backend.labNotices = async () => ['The history database was damaged and set aside.'];
		render(App, { backend });
		const notice = await screen.findByText('The history database was damaged and set aside.');
		await fireEvent.click(within(notice.parentElement!).getByRole('button', { name: 'Dismiss' }));
		expect(screen.queryByText('The history database was damaged and set aside.')).toBeNull();
	});
});

describe('App window size', () => {
	it('asks for the compact window on quick compare and back, not at start', async () => {
		let navigate: (route: string) => void = () => {};
		const backend = fakeBackend();
		backend.onNavigate = (h) => {
			navigate = h;
			return () => {};
		};
		render(App, { backend });
		await settled();
		expect(backend.setCompact).not.toHaveBeenCalled();
		navigate('#/quick');
		await waitFor(() => expect(backend.setCompact).toHaveBeenLastCalledWith(true));
		navigate('#/');
		await waitFor(() => expect(backend.setCompact).toHaveBeenLastCalledWith(false));
	});
});
