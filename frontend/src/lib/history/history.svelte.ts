// The history view's state: the search, the matching runs, the opened run and its replay.
import { toAppError, type AppError, type Backend } from '../services/backend';
import type { ReplayReport, Run } from '../services/types';

/** How long typing settles before the search runs. */
export const searchDelayMs = 250;

export class History {
	query = $state('');
	runs = $state.raw<Run[]>([]);
	opened = $state.raw<Run | null>(null);
	replay = $state.raw<ReplayReport | null>(null);
	replaying = $state(false);
	/** Runs ticked for comparison (at most two), and the two runs once loaded. */
	ticked = $state<number[]>([]);
	compared = $state.raw<Run[]>([]);
	loading = $state(false);
	error = $state<AppError | null>(null);
	private timer: ReturnType<typeof setTimeout> | undefined;

	constructor(private backend: Backend) {}

	/** Runs the search after the typing settles. */
	search(text: string) {
		this.query = text;
		clearTimeout(this.timer);
		this.timer = setTimeout(() => void this.refresh(), searchDelayMs);
	}

	async refresh() {
		this.loading = true;
		await this.guard(async () => {
			this.runs = await this.backend.listRuns({
				text: this.query.trim(),
				model: '',
				preset: '',
				since: '',
				until: '',
				status: '',
				limit: 200,
				offset: 0
			});
		});
		this.loading = false;
	}

	/** Ticks or unticks a run for comparison; a third tick drops the oldest. */
	tick(id: number) {
		this.ticked = this.ticked.includes(id)
			? this.ticked.filter((x) => x !== id)
			: [...this.ticked, id].slice(-2);
	}

	/** Loads the two ticked runs side by side. */
	async compare() {
		if (this.ticked.length !== 2) return;
		this.opened = null;
		this.replay = null;
		await this.guard(async () => {
			this.compared = await Promise.all(this.ticked.map((id) => this.backend.getRun(id)));
		});
	}

	async open(id: number) {
		this.replay = null;
		this.compared = [];
		await this.guard(async () => {
			this.opened = await this.backend.getRun(id);
		});
	}

	async doReplay() {
		if (!this.opened) return;
		this.replaying = true;
		this.replay = null;
		const id = this.opened.id;
		await this.guard(async () => {
			this.replay = await this.backend.replay(id);
		});
		this.replaying = false;
	}

	async remove(id: number) {
		await this.guard(async () => {
			await this.backend.deleteRun(id);
			if (this.opened?.id === id) this.opened = null;
			this.runs = this.runs.filter((r) => r.id !== id);
		});
	}

	private async guard(f: () => Promise<void>) {
		try {
			await f();
			this.error = null;
		} catch (err) {
			this.error = toAppError(err);
		}
	}
}
