// The resident model as the status bar and the picker show it.
import { toAppError, type AppError, type Backend } from '../services/backend';
import type { LabStatus, LocalModel, ModelState } from '../services/types';

/** Download or load progress with a rate and an ETA measured in the UI. */
export interface Progress {
	phase: string;
	done: number;
	total: number;
	/** Bytes per second over the last samples, 0 when unknown. */
	rate: number;
	/** Seconds left, -1 when unknown. */
	eta: number;
}

export class ModelStatus {
	status = $state.raw<LabStatus | null>(null);
	/** The failure of the last call (load, list), with the backend's code. */
	error = $state<AppError | null>(null);
	local = $state.raw<LocalModel[]>([]);
	progress = $state.raw<Progress | null>(null);
	private samples: { t: number; done: number }[] = [];

	state = $derived<ModelState>(this.status?.state ?? 'empty');
	ref = $derived(this.status?.identity?.ref || this.status?.ref || '');
	/** The load failure the backend reports (kept after a failed switch). */
	loadError = $derived<AppError | null>(
		this.status?.error
			? { code: this.status.error_code ?? 'internal', message: this.status.error }
			: null
	);

	constructor(private backend: Backend) {}

	/** Applies a lab:status event or a LabStatus answer. */
	update(s: LabStatus) {
		this.status = s;
		if (s.state === 'loading' && s.total) {
			this.track(s.phase ?? '', s.done ?? 0, s.total);
		} else {
			this.progress = null;
			this.samples = [];
		}
	}

	async refresh() {
		try {
			this.update(await this.backend.labStatus());
			this.error = null;
		} catch (err) {
			this.error = toAppError(err);
		}
	}

	async listLocal() {
		try {
			this.local = await this.backend.localModels();
		} catch (err) {
			this.error = toAppError(err);
		}
	}

	/** Loads ref; progress and the outcome also arrive as lab:status events. */
	async load(ref: string): Promise<boolean> {
		this.error = null;
		try {
			await this.backend.loadModel(ref);
			await this.refresh();
			return true;
		} catch (err) {
			const failure = toAppError(err);
			await this.refresh();
			this.error = failure;
			return false;
		}
	}

	/** Stops the running load; its failure (code cancelled) arrives as usual. */
	async cancel() {
		try {
			await this.backend.cancelLoad();
		} catch (err) {
			this.error = toAppError(err);
		}
	}

	// track keeps the samples of the last five seconds to measure the rate.
	private track(phase: string, done: number, total: number) {
		const now = performance.now();
		if (this.progress?.phase !== phase) this.samples = [];
		this.samples.push({ t: now, done });
		this.samples = this.samples.filter((s) => now - s.t < 5000);
		const first = this.samples[0]!;
		const secs = (now - first.t) / 1000;
		const rate = secs > 0.2 ? (done - first.done) / secs : 0;
		const eta = rate > 0 ? (total - done) / rate : -1;
		this.progress = { phase, done, total, rate, eta };
	}
}
