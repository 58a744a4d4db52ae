import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { fakeBackend } from '../../test/fake-backend';
import { ModelStatus } from '../model/model.svelte';
import StatusBar from './StatusBar.svelte';
import { BackendState } from './backend-state.svelte';

describe('StatusBar', () => {
	it('says it is connecting before the first status', () => {
		render(StatusBar, { state: new BackendState() });
		expect(screen.getByRole('status').textContent).toContain('connecting');
	});

	it('names the resident model and the version', async () => {
		const state = new BackendState();
		await state.refresh(
			fakeBackend({ status: { version: '1.2.3', model: 'tiny', modelLoaded: true, tray: false } })
		);
		render(StatusBar, { state });
		expect(screen.getByRole('status').textContent).toContain('model tiny');
		expect(screen.getByText('Knobs 1.2.3')).toBeTruthy();
	});

	it('shows the model state, load progress and a load error', async () => {
		const backend = fakeBackend();
		const model = new ModelStatus(backend);
		model.update({
			state: 'loading',
			ref: 'org/m',
			identity: {},
			phase: 'downloading',
			done: 50,
			total: 100
		});
		const { rerender } = render(StatusBar, { state: new BackendState(), model });
		const el = screen.getByTestId('model-status');
		expect(el.dataset.state).toBe('loading');
		expect(el.textContent).toContain('50%');
		await fireEvent.click(screen.getByTestId('model-cancel'));
		expect(backend.cancelLoad).toHaveBeenCalled();
		model.update({
			state: 'error',
			identity: {},
			error: 'No such model; check the name.',
			error_code: 'model_not_found'
		});
		await rerender({ state: new BackendState(), model });
		expect(el.dataset.state).toBe('error');
		expect(el.textContent).toContain('No such model; check the name.');
	});

	it('says the demo model is a toy and offers the default model', async () => {
		const backend = fakeBackend();
		const model = new ModelStatus(backend);
		model.update({ state: 'ready', ref: 'demo', identity: { ref: 'demo' } });
		render(StatusBar, { state: new BackendState(), model });
		expect(screen.getByTestId('model-status').textContent).toContain('toy');
		await fireEvent.click(screen.getByTestId('model-get-default'));
		expect(backend.loadModel).toHaveBeenCalledWith('mlx-community/Llama-3.2-1B-Instruct-4bit');
	});

	it('offers no download for a real model', () => {
		const model = new ModelStatus(fakeBackend());
		model.update({ state: 'ready', ref: 'org/m', identity: { ref: 'org/m' } });
		render(StatusBar, { state: new BackendState(), model });
		expect(screen.queryByTestId('model-get-default')).toBeNull();
	});
});
