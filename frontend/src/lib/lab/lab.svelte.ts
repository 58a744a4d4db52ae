// The comparison on screen: the prompt, the regime columns and what each one wrote.
import { toAppError, type AppError, type Backend } from '../services/backend';
import type {
	ColumnResult,
	CompareRequest,
	GeneratedToken,
	LabEvent,
	Regime,
	SettingsColumn
} from '../services/types';
import { maxSeed, neutralRegime, starterColumns } from './knobs';

/** The most columns one comparison runs (lab.MaxColumns, the engine's largest batch). */
export const maxColumns = 8;

/** A generated token as a column shows it. */
export interface ShownToken {
	/** 0-based position in the column's output. */
	step: number;
	/** The text this token added to the output (may be '' mid-character). */
	text: string;
	token: GeneratedToken;
}

export type ColumnPhase = 'idle' | 'running' | 'done' | 'error';

let nextColumnKey = 1;

/** Draws a seed for the re-roll button (any uint32 is enough to be distinct). */
export function drawSeed(): number {
	return Math.floor(Math.random() * 2 ** 32);
}

/** One regime column: its knobs and its output. */
export class Column {
	/** Stable key for keyed lists; not persisted. */
	readonly key = nextColumnKey++;
	regime = $state<Regime>(neutralRegime());
	/** Name of the preset the regime came from, if any. */
	preset = $state<string | undefined>(undefined);
	/** Locked: the seed below is sent; unlocked: the backend draws one. */
	seedLocked = $state(true);
	seed = $state(0);

	tokens = $state.raw<ShownToken[]>([]);
	phase = $state<ColumnPhase>('idle');
	stopReason = $state('');
	tokensPerSec = $state(0);
	error = $state<AppError | null>(null);
	/** The regime the shown output was generated with (seed included). */
	ranRegime = $state.raw<Regime | null>(null);
	private started = 0;

	text = $derived(this.tokens.map((t) => t.text).join(''));

	constructor(regime?: Regime, preset?: string) {
		if (regime) this.regime = { ...neutralRegime(), ...regime };
		this.seed = regime?.seed ?? drawSeed();
		this.preset = preset;
	}

	/** The title: the regime's name, the preset's, or the fallback. */
	title(fallback: string): string {
		return this.regime.name || this.preset || fallback;
	}

	/** The regime as the backend receives it: the seed only when locked. */
	toRegime(): Regime {
		const r: Regime = { ...this.regime };
		if (this.seedLocked && Number.isInteger(this.seed) && this.seed >= 0 && this.seed <= maxSeed) {
			r.seed = this.seed;
		} else {
			delete r.seed;
		}
		return r;
	}

	/** Applies a preset's regime, keeping the column's seed choice. */
	apply(regime: Regime, preset?: string) {
		const { seed: _seed, ...rest } = regime;
		this.regime = { ...neutralRegime(), ...rest };
		this.preset = preset;
	}

	copy(): Column {
		const c = new Column({ ...this.regime }, this.preset);
		c.seed = this.seed;
		c.seedLocked = this.seedLocked;
		return c;
	}

	reroll() {
		this.seed = drawSeed();
		this.seedLocked = true;
	}

	begin() {
		this.tokens = [];
		this.phase = 'running';
		this.stopReason = '';
		this.tokensPerSec = 0;
		this.error = null;
		this.ranRegime = this.toRegime();
		this.started = 0;
	}

	addToken(token: GeneratedToken, delta: string | undefined) {
		const now = performance.now();
		if (this.started === 0) this.started = now;
		const step = this.tokens.length;
		this.tokens = [...this.tokens, { step, text: delta ?? token.text, token }];
		const secs = (now - this.started) / 1000;
		if (secs > 0.05) this.tokensPerSec = step / secs;
	}

	finish(res: ColumnResult) {
		// The events may have been missed (or never sent): the result is authoritative.
		const tokens = res.tokens ?? [];
		if (tokens.length !== this.tokens.length) {
			this.tokens = tokens.map((token, step) => ({ step, text: token.text, token }));
		}
		this.phase = res.error ? 'error' : 'done';
		this.stopReason = res.stop_reason;
		this.tokensPerSec = res.stats?.tokens_per_sec ?? this.tokensPerSec;
		this.ranRegime = { ...res.regime, seed: res.seed };
		if (!this.seedLocked) this.seed = res.seed;
		if (res.error) this.error = { code: 'column_error', message: res.error };
	}

	fail(err: AppError) {
		this.phase = 'error';
		this.error = err;
	}

	/** Loads recorded tokens (history) without running. */
	show(tokens: GeneratedToken[], stopReason: string, regime: Regime) {
		this.tokens = tokens.map((token, step) => ({ step, text: token.text, token }));
		this.phase = 'done';
		this.stopReason = stopReason;
		this.ranRegime = regime;
	}
}

/** The token the inspector shows. */
export interface Selection {
	column: Column;
	step: number;
}

/** The comparison workspace: prompt, columns, running state and the inspected token. */
export class Lab {
	prompt = $state('');
	chat = $state(false);
	system = $state('');
	columns = $state<Column[]>([]);
	/** Index of the column the presets bar applies to. */
	focused = $state(0);
	running = $state(false);
	error = $state<AppError | null>(null);
	/** The token pointed at, and the one clicked (which wins). */
	hovered = $state<Selection | null>(null);
	pinned = $state<Selection | null>(null);
	maxTokens = 128;
	inspectK = 10;

	// runColumns[i] is the column that request column i writes to.
	private runColumns: Column[] = [];

	selection = $derived(this.pinned ?? this.hovered);
	canAdd = $derived(this.columns.length < maxColumns);
	canRemove = $derived(this.columns.length > 1);

	constructor(columns?: SettingsColumn[]) {
		const initial = columns && columns.length > 0 ? columns : starterColumns();
		this.columns = initial.slice(0, maxColumns).map((c) => new Column(c.regime, c.preset));
	}

	add(regime?: Regime, preset?: string): Column | null {
		if (!this.canAdd) return null;
		const c = new Column(regime, preset);
		this.columns.push(c);
		this.focused = this.columns.length - 1;
		return c;
	}

	remove(i: number) {
		if (!this.canRemove || this.columns[i]?.phase === 'running') return;
		const [gone] = this.columns.splice(i, 1);
		if (this.pinned?.column === gone) this.pinned = null;
		if (this.hovered?.column === gone) this.hovered = null;
		this.focused = Math.min(this.focused, this.columns.length - 1);
	}

	duplicate(i: number) {
		const c = this.columns[i];
		if (!c || !this.canAdd) return;
		this.columns.splice(i + 1, 0, c.copy());
		this.focused = i + 1;
	}

	/** Moves column i by delta places (−1 left, +1 right) within bounds. */
	move(i: number, delta: number) {
		const j = i + delta;
		if (j < 0 || j >= this.columns.length || i < 0 || i >= this.columns.length) return;
		const [c] = this.columns.splice(i, 1);
		this.columns.splice(j, 0, c!);
		this.focused = j;
	}

	/** The columns as the settings keep them (plain objects, no state proxies). */
	toSettings(): SettingsColumn[] {
		return $state.snapshot(
			this.columns.map((c) => ({ preset: c.preset, regime: c.toRegime() }))
		) as SettingsColumn[];
	}

	/** Replaces the columns with saved ones. */
	restore(columns: SettingsColumn[]) {
		this.columns = columns.slice(0, maxColumns).map((c) => new Column(c.regime, c.preset));
		this.focused = 0;
		this.pinned = null;
		this.hovered = null;
	}

	/** Runs the given columns (all by default) and resolves when the comparison ends. */
	async run(backend: Backend, which: Column[] = this.columns): Promise<void> {
		if (this.running || which.length === 0 || this.prompt.trim() === '') return;
		this.running = true;
		this.error = null;
		this.pinned = null;
		this.hovered = null;
		this.runColumns = [...which];
		for (const c of which) c.begin();
		const req: CompareRequest = {
			prompt: this.prompt,
			chat: this.chat,
			system: this.chat && this.system ? this.system : undefined,
			columns: $state.snapshot(which.map((c) => ({ preset: c.preset, regime: c.toRegime() }))),
			max_tokens: this.maxTokens,
			inspect_k: this.inspectK
		};
		try {
			const res = await backend.compare(req);
			(res.columns ?? []).forEach((r, i) => this.runColumns[i]?.finish(r));
		} catch (err) {
			this.error = toAppError(err);
			for (const c of which) if (c.phase === 'running') c.fail(this.error);
		} finally {
			for (const c of which) if (c.phase === 'running') c.phase = 'done';
			this.running = false;
			this.runColumns = [];
		}
	}

	/** Handles a lab:event; events of a comparison this Lab did not start are ignored. */
	handleEvent(e: LabEvent) {
		if (!this.running) return;
		const c = this.runColumns[e.column];
		if (!c) return;
		if (e.kind === 'token' && e.token) c.addToken(e.token, e.delta);
		if (e.kind === 'column_end' && e.result) c.finish(e.result);
	}

	async stopAll(backend: Backend) {
		await backend.cancelComparison();
	}

	async stopColumn(backend: Backend, c: Column) {
		const i = this.runColumns.indexOf(c);
		if (i >= 0) await backend.cancelColumn(i);
	}

	/** Moves the pinned token within its column (keyboard navigation). */
	step(c: Column, delta: number) {
		const cur = this.pinned?.column === c ? this.pinned.step : -1;
		const next = Math.max(0, Math.min(c.tokens.length - 1, cur + delta));
		if (c.tokens.length > 0) this.pinned = { column: c, step: next };
	}
}
