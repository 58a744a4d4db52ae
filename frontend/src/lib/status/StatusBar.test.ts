import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import StatusBar from './StatusBar.svelte';
import { BackendState } from './backend-state.svelte';

describe('StatusBar', () => {
	it('says it is connecting before the first status', () => {
		render(StatusBar, { state: new BackendState() });
		expect(screen.getByRole('status').textContent).toContain('connecting');
	});

	it('names the resident model and the version', async () => {
		const state = new BackendState();
		await state.refresh({
			ready: async () => {},
			status: async () => ({ version: '1.2.3', model: 'tiny', modelLoaded: true, tray: false })
		});
		render(StatusBar, { state });
		expect(screen.getByRole('status').textContent).toContain('model tiny');
		expect(screen.getByText('Knobs 1.2.3')).toBeTruthy();
	});
});
