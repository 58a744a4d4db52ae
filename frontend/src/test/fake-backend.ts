// An in-memory Backend for component tests: presets, settings and runs live in plain
// arrays, and compare streams token events like the lab does.
import { vi } from 'vitest';
import type { Backend, BackendStatus } from '../lib/services/backend';
import type {
	ColumnResult,
	CompareRequest,
	GeneratedToken,
	LabEvent,
	LabStatus,
	Preset,
	Regime,
	Run,
	Settings
} from '../lib/services/types';

export interface FakeOptions {
	status?: BackendStatus;
	labStatus?: LabStatus;
	presets?: Preset[];
	settings?: Partial<Settings>;
	runs?: Run[];
	/** The tokens every column generates. */
	tokens?: GeneratedToken[];
}

export function regime(over: Partial<Regime> = {}): Regime {
	return {
		temp: 0,
		top_p: 1,
		top_k: 0,
		min_p: 0,
		repetition_penalty: 1,
		repetition_context: 20,
		presence_penalty: 0,
		frequency_penalty: 0,
		sampler: 'mlx-lm',
		...over
	};
}

export function preset(id: number, name: string, over: Partial<Preset> = {}): Preset {
	return {
		id,
		name,
		regime: regime({ name }),
		favourite: false,
		hidden: false,
		position: id,
		...over
	};
}

export const builtinPresets: Preset[] = [
	preset(1, 'Greedy', { builtin: 'greedy' }),
	preset(2, 'Default zone', {
		builtin: 'default-zone',
		regime: regime({ temp: 0.7, top_p: 0.95 })
	}),
	preset(3, 'Creative', { builtin: 'creative', regime: regime({ temp: 1.5, top_p: 0.95 }) })
];

/** A token with inspection data: three candidates, the first chosen. */
export function token(id: number, text: string): GeneratedToken {
	return {
		id,
		text,
		logprob: Math.log(0.5),
		top: [
			{ id, text, logprob: Math.log(0.5) },
			{ id: id + 1, text: `${text}!`, logprob: Math.log(0.3) },
			{ id: id + 2, text: `${text}?`, logprob: Math.log(0.2) }
		],
		sampling: {
			token: id,
			prob: 0.625,
			entropy: 0.6615632381579821,
			kept: 2,
			rank: 0,
			greedy: false,
			candidates: [
				{
					token: id,
					logprob: Math.log(0.5),
					penalized_logprob: Math.log(0.5),
					temp_prob: 0.5,
					prob: 0.625
				},
				{
					token: id + 1,
					logprob: Math.log(0.3),
					penalized_logprob: Math.log(0.3),
					temp_prob: 0.3,
					prob: 0.375
				},
				{
					token: id + 2,
					logprob: Math.log(0.2),
					penalized_logprob: Math.log(0.2),
					temp_prob: 0.2,
					removed_by: 'top_p',
					prob: 0
				}
			]
		}
	};
}

export const defaultSettings: Settings = {
	last_prompt: '',
	chat: false,
	system: '',
	columns: [],
	model: '',
	window: { x: 0, y: 0, width: 1200, height: 800, maximised: false },
	theme: 'system',
	language: '',
	menu_bar_only: false,
	inspect_k: 10,
	max_tokens: 128
};

export type FakeBackend = Backend & {
	emitEvent(e: LabEvent): void;
	emitNavigate(route: string): void;
	emitRunAll(): void;
	emitStatus(s: LabStatus): void;
	saved: Settings[];
	requests: CompareRequest[];
};

export function fakeBackend(opts: FakeOptions = {}): FakeBackend {
	let presets = [...(opts.presets ?? builtinPresets)];
	let runs = [...(opts.runs ?? [])];
	let settings: Settings = { ...defaultSettings, ...opts.settings };
	const eventHandlers = new Set<(e: LabEvent) => void>();
	const statusHandlers = new Set<(s: LabStatus) => void>();
	const navigateHandlers = new Set<(route: string) => void>();
	const runAllHandlers = new Set<() => void>();
	const tokens = opts.tokens ?? [token(10, 'Hello'), token(20, ' world')];
	const saved: Settings[] = [];
	const requests: CompareRequest[] = [];

	const b: FakeBackend = {
		saved,
		requests,
		emitEvent: (e) => eventHandlers.forEach((h) => h(e)),
		emitStatus: (s) => statusHandlers.forEach((h) => h(s)),
		emitNavigate: (route) => navigateHandlers.forEach((h) => h(route)),
		emitRunAll: () => runAllHandlers.forEach((h) => h()),
		ready: vi.fn(async () => {}),
		status: async () =>
			opts.status ?? { version: '0.1.0-test', model: 'tiny', modelLoaded: true, tray: true },
		labStatus: async () =>
			opts.labStatus ?? { state: 'ready', ref: 'tiny', identity: { ref: 'tiny' } },
		labNotices: async () => [],
		uiReport: vi.fn(async () => {}),
		setCompact: vi.fn(async () => {}),
		loadModel: vi.fn(async () => {}),
		cancelLoad: vi.fn(async () => {}),
		unloadModel: async () => {},
		localModels: async () => [],
		compare: vi.fn(async (req: CompareRequest) => {
			requests.push(req);
			const columns: ColumnResult[] = req.columns.map((spec, column) => {
				tokens.forEach((tk) =>
					b.emitEvent({ kind: 'token', run_id: 7, column, token: tk, delta: tk.text })
				);
				const res: ColumnResult = {
					index: column,
					regime: spec.regime,
					seed: spec.regime.seed ?? 99,
					text: tokens.map((tk) => tk.text).join(''),
					tokens,
					stop_reason: 'length',
					prompt_tokens: 3,
					prompt_tps: 100,
					stats: { tokens: tokens.length, ttft_ms: 5, duration_ms: 50, tokens_per_sec: 40 }
				};
				b.emitEvent({ kind: 'column_end', run_id: 7, column, result: res });
				return res;
			});
			return {
				run_id: 7,
				status: 'done',
				model: {},
				mode: 'raw',
				rendered: req.prompt,
				prompt_token_ids: [],
				columns
			};
		}),
		cancelComparison: vi.fn(async () => {}),
		cancelColumn: vi.fn(async () => true),
		replay: vi.fn(async (id: number) => ({
			run_id: id,
			identical: true,
			model_changed: false,
			recorded_hash: 'a',
			current_hash: 'a',
			message: 'Replay identical.'
		})),
		listRuns: vi.fn(async (q) =>
			runs.filter((r) => r.prompt.toLowerCase().includes(q.text.toLowerCase()))
		),
		getRun: async (id) => {
			const r = runs.find((x) => x.id === id);
			if (!r) throw { code: 'run_not_found', message: `No run ${id}.` };
			return r;
		},
		deleteRun: vi.fn(async (id: number) => {
			runs = runs.filter((r) => r.id !== id);
		}),
		clearHistory: async () => {
			const n = runs.length;
			runs = [];
			return n;
		},
		presets: async (withHidden) => presets.filter((p) => withHidden || !p.hidden),
		savePreset: vi.fn(async (name: string, description: string, r: Regime) => {
			const p = preset(presets.length + 100, name, { description, regime: r });
			presets = [...presets.filter((x) => x.name !== name), p];
			return p;
		}),
		renamePreset: async (id, name) => {
			presets = presets.map((p) => (p.id === id ? { ...p, name } : p));
		},
		duplicatePreset: async (id, name) => {
			const p = { ...presets.find((x) => x.id === id)!, id: 500, name };
			presets = [...presets, p];
			return p;
		},
		setPresetFavourite: async (id, favourite) => {
			presets = presets.map((p) => (p.id === id ? { ...p, favourite } : p));
		},
		setPresetHidden: async (id, hidden) => {
			presets = presets.map((p) => (p.id === id ? { ...p, hidden } : p));
		},
		reorderPresets: async () => {},
		deletePreset: async (id) => {
			presets = presets.filter((p) => p.id !== id);
		},
		exportPresets: vi.fn(async () => presets.filter((p) => !p.builtin).length),
		importPresets: vi.fn(async () => ({ added: ['Imported'] })),
		loadSettings: async () => structuredClone(settings),
		saveSettings: vi.fn(async (s: Settings) => {
			settings = structuredClone(s);
			saved.push(settings);
		}),
		onLabStatus: (h) => {
			statusHandlers.add(h);
			return () => statusHandlers.delete(h);
		},
		onLabEvent: (h) => {
			eventHandlers.add(h);
			return () => eventHandlers.delete(h);
		},
		onNavigate: (h) => {
			navigateHandlers.add(h);
			return () => navigateHandlers.delete(h);
		},
		onRunAll: (h) => {
			runAllHandlers.add(h);
			return () => runAllHandlers.delete(h);
		}
	};
	return b;
}
