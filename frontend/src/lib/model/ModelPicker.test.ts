import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from '../../test/fake-backend';
import { ModelStatus } from './model.svelte';
import ModelPicker from './ModelPicker.svelte';

describe('ModelPicker', () => {
	it('lists the local models and loads the one picked', async () => {
		const backend = fakeBackend();
		backend.localModels = async () => [
			{ repo: 'org/tiny', revision: 'abc', path: '/c/tiny', size: 2048, complete: true },
			{
				repo: 'org/broken',
				revision: 'def',
				path: '/c/broken',
				size: 10,
				complete: false,
				problem: 'no tokenizer.json'
			}
		];
		const model = new ModelStatus(backend);
		let closed = false;
		render(ModelPicker, { model, onclose: () => (closed = true) });
		await waitFor(() => expect(screen.getByText('org/tiny')).toBeTruthy());
		expect(screen.getByText(/no tokenizer.json/)).toBeTruthy();
		expect((screen.getByText('org/broken').closest('button') as HTMLButtonElement).disabled).toBe(
			true
		);
		await fireEvent.click(screen.getByText('org/tiny'));
		await waitFor(() => expect(closed).toBe(true));
		expect(backend.loadModel).toHaveBeenCalledWith('org/tiny@abc');
	});

	it('loads a typed Hub id and shows the remedy of a failure', async () => {
		const backend = fakeBackend();
		backend.loadModel = () =>
			Promise.reject({
				code: 'hub_offline',
				message:
					'Knobs cannot reach the Hugging Face Hub. Check the network, or pick a model on this computer.'
			});
		const model = new ModelStatus(backend);
		render(ModelPicker, { model, onclose: () => {} });
		await fireEvent.input(screen.getByTestId('model-ref-input'), { target: { value: 'org/new' } });
		await fireEvent.click(screen.getByTestId('model-load'));
		const alert = await screen.findByRole('alert');
		expect(alert.dataset.code).toBe('hub_offline');
		expect(alert.textContent).toContain('pick a model on this computer');
	});
});

describe('ModelStatus', () => {
	it('measures the download rate and the time left from lab:status', () => {
		const model = new ModelStatus(fakeBackend());
		model.update({ state: 'loading', identity: {}, phase: 'downloading', done: 0, total: 1000 });
		expect(model.progress?.eta).toBe(-1);
		model.update({ state: 'ready', identity: { ref: 'org/m' } });
		expect(model.progress).toBeNull();
		expect(model.state).toBe('ready');
		expect(model.ref).toBe('org/m');
	});
});
