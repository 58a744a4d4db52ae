import { toAppError, type AppError, type Backend, type BackendStatus } from '../services/backend';

/** What the UI knows about the backend, refreshed on demand. */
export class BackendState {
	status = $state<BackendStatus | null>(null);
	error = $state<AppError | null>(null);
	loading = $state(true);

	/** One line for the status bar. */
	label = $derived.by(() => {
		if (this.loading) return 'connecting…';
		if (this.error) return this.error.message;
		if (!this.status?.modelLoaded) return 'model not loaded';
		return `model ${this.status.model}`;
	});

	/** Asks backend for its status; a failure is kept in error, never thrown. */
	async refresh(backend: Backend): Promise<void> {
		try {
			this.status = await backend.status();
			this.error = null;
		} catch (err) {
			this.error = toAppError(err);
		} finally {
			this.loading = false;
		}
	}
}
