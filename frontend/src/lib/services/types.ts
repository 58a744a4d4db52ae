// Plain shapes of the JSON the Go side sends and accepts. They mirror the generated
// classes in wailsjs/go/models.ts (lab, store, sampling, main) without importing them,
// so that components and tests use plain objects.

/** One regime's knobs (Go: store.Regime, which flattens sampling.Params). */
export interface Regime {
	name?: string;
	temp: number;
	top_p: number;
	top_k: number;
	min_p: number;
	repetition_penalty: number;
	repetition_context: number;
	presence_penalty: number;
	frequency_penalty: number;
	logit_bias?: Record<number, number>;
	/** Absent: draw one and record it. */
	seed?: number;
	sampler: SamplerName;
	max_tokens?: number;
	stop?: string[];
}

/** The sampler chains the backend implements. */
export type SamplerName = 'mlx-lm' | 'transformers' | 'llama.cpp';

export const samplerNames: readonly SamplerName[] = ['mlx-lm', 'transformers', 'llama.cpp'];

/** One column of a comparison request (Go: lab.ColumnSpec). */
export interface ColumnSpec {
	preset?: string;
	regime: Regime;
}

/** A comparison (Go: lab.Request). */
export interface CompareRequest {
	kind?: string;
	prompt: string;
	chat: boolean;
	system?: string;
	columns: ColumnSpec[];
	max_tokens?: number;
	inspect_k: number;
	no_record?: boolean;
}

/** One candidate as each knob saw it (Go: sampling.Candidate). */
export interface StepCandidate {
	token: number;
	logprob: number;
	penalized_logprob: number;
	temp_prob: number;
	removed_by?: string;
	prob: number;
}

/** What one sampling step did (Go: sampling.Step). */
export interface SamplingStep {
	token: number;
	prob: number;
	entropy: number;
	kept: number;
	rank: number;
	greedy: boolean;
	candidates?: StepCandidate[];
}

/** One of the raw top tokens at a step (Go: lab.Candidate). */
export interface TopCandidate {
	id: number;
	text: string;
	logprob: number;
}

/** One generated token (Go: lab.Token). */
export interface GeneratedToken {
	id: number;
	text: string;
	logprob: number;
	top: TopCandidate[] | null;
	sampling?: SamplingStep;
}

/** Generation speed and timing (Go: store.Stats). */
export interface RunStats {
	tokens: number;
	ttft_ms: number;
	duration_ms: number;
	tokens_per_sec: number;
}

/** What one column produced (Go: lab.ColumnResult). */
export interface ColumnResult {
	index: number;
	preset?: string;
	regime: Regime;
	seed: number;
	text: string;
	tokens: GeneratedToken[] | null;
	stop_reason: string;
	error?: string;
	prompt_tokens: number;
	prompt_tps: number;
	stats: RunStats;
}

/** Which model a run used (Go: store.ModelIdentity). */
export interface ModelIdentity {
	ref?: string;
	revision?: string;
	path?: string;
	hash?: string;
}

/** A finished comparison (Go: lab.Result). */
export interface CompareResult {
	run_id: number;
	status: string;
	model: ModelIdentity;
	mode: string;
	rendered: string;
	prompt_token_ids: number[] | null;
	columns: ColumnResult[] | null;
}

/** A comparison event (Go: lab.Event), sent as lab:event. */
export interface LabEvent {
	kind: 'start' | 'token' | 'column_end' | 'end';
	run_id: number;
	column: number;
	token?: GeneratedToken;
	delta?: string;
	result?: ColumnResult;
	status?: string;
}

/** The resident model's state (Go: lab.Status), sent as lab:status. */
export interface LabStatus {
	state: ModelState;
	ref?: string;
	identity: ModelIdentity;
	error?: string;
	error_code?: string;
	phase?: string;
	done?: number;
	total?: number;
	vocab_size?: number;
	context_length?: number;
}

export type ModelState = 'empty' | 'loading' | 'ready' | 'error';

/** Where a replay first differed (Go: lab.Divergence). */
export interface Divergence {
	column: number;
	step: number;
	expected: number;
	got: number;
	expected_text: string;
	got_text: string;
	expected_stop?: string;
	got_stop?: string;
}

/** The outcome of a replay (Go: lab.ReplayReport). */
export interface ReplayReport {
	run_id: number;
	identical: boolean;
	model_changed: boolean;
	recorded_hash: string;
	current_hash: string;
	divergence?: Divergence;
	message: string;
}

/** One column of a recorded run (Go: store.Column). */
export interface RunColumn {
	index: number;
	preset?: string;
	regime: Regime;
	status: string;
	error?: string;
	stop_reason?: string;
	text: string;
	token_ids?: number[] | null;
	/** Per-token details as lab.Token objects; only GetRun fills it. */
	tokens?: GeneratedToken[] | null;
	stats: RunStats;
}

/** A recorded run (Go: store.Run). */
export interface Run {
	id: number;
	kind: string;
	status: string;
	error?: string;
	created_at: string;
	finished_at?: string;
	app_version: string;
	model: ModelIdentity;
	mode: string;
	prompt: string;
	system?: string;
	rendered: string;
	inspect_k: number;
	columns: RunColumn[] | null;
}

/** A history filter (Go: main.HistoryQuery). */
export interface HistoryQuery {
	text: string;
	model: string;
	preset: string;
	since: string;
	until: string;
	status: string;
	limit: number;
	offset: number;
}

/** A saved regime (Go: store.Preset). */
export interface Preset {
	id: number;
	builtin?: string;
	name: string;
	description?: string;
	regime: Regime;
	favourite: boolean;
	hidden: boolean;
	position: number;
	created_at?: string;
	updated_at?: string;
}

/** What an import added (Go: store.ImportResult). */
export interface ImportResult {
	added: string[] | null;
	renamed?: Record<string, string>;
}

/** One column on screen as the settings keep it (Go: store.SettingsColumn). */
export interface SettingsColumn {
	preset?: string;
	regime: Regime;
}

export type Theme = 'system' | 'light' | 'dark';

/** The persisted settings (Go: store.Settings). Unknown keys are kept and sent back. */
export interface Settings {
	last_prompt: string;
	chat: boolean;
	system: string;
	columns: SettingsColumn[] | null;
	model: string;
	window: { x: number; y: number; width: number; height: number; maximised: boolean };
	theme: Theme | string;
	language: string;
	menu_bar_only: boolean;
	inspect_k: number;
	max_tokens: number;
	[extra: string]: unknown;
}

/** A model found on disk (Go: hub.Local). */
export interface LocalModel {
	repo: string;
	revision: string;
	refs?: string[] | null;
	path: string;
	size: number;
	complete: boolean;
	problem?: string;
}
