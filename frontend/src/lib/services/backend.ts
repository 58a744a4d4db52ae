// The only module that talks to the Go side. Components receive a Backend and never
// import the generated Wails bindings or runtime themselves, so that they can be
// tested with a fake and rendered in a plain browser.
import * as App from '../../../wailsjs/go/main/App';
import { EventsOn } from '../../../wailsjs/runtime/runtime';
import type {
	CompareRequest,
	CompareResult,
	HistoryQuery,
	ImportResult,
	LabEvent,
	LabStatus,
	LocalModel,
	Preset,
	Regime,
	ReplayReport,
	Run,
	Settings
} from './types';

export type * from './types';

/** The backend's state as the status bar shows it (Go: main.Status). */
export interface BackendStatus {
	version: string;
	/** Reference of the resident model, '' when none is loaded. */
	model: string;
	modelLoaded: boolean;
	/** Whether a tray or menu-bar icon is running. */
	tray: boolean;
}

/** An error from the backend as apperr formats it: branch on code, show message. */
export interface AppError {
	code: string;
	message: string;
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

/** What the UI may ask of the backend: the bound methods of app.go and app_lab.go. */
export interface Backend {
	/** Tells the backend the UI has mounted; called once with the document title. */
	ready(title: string): Promise<void>;
	status(): Promise<BackendStatus>;

	labStatus(): Promise<LabStatus>;
	labNotices(): Promise<string[]>;
	/** Tells a test what the UI shows (KNOBS_READY_FILE); name is e.g. "run-all-done". */
	uiReport(name: string, detail: string): Promise<void>;
	/** Sizes the window for quick compare (compact) or the main view. */
	setCompact(compact: boolean): Promise<void>;
	loadModel(ref: string): Promise<void>;
	/** Stops a running loadModel (a download); the previous model stays. */
	cancelLoad(): Promise<void>;
	unloadModel(): Promise<void>;
	localModels(): Promise<LocalModel[]>;

	compare(req: CompareRequest): Promise<CompareResult>;
	cancelComparison(): Promise<void>;
	cancelColumn(column: number): Promise<boolean>;
	replay(runID: number): Promise<ReplayReport>;

	listRuns(q: HistoryQuery): Promise<Run[]>;
	getRun(id: number): Promise<Run>;
	deleteRun(id: number): Promise<void>;
	clearHistory(): Promise<number>;

	presets(withHidden: boolean): Promise<Preset[]>;
	savePreset(name: string, description: string, regime: Regime): Promise<Preset>;
	renamePreset(id: number, name: string): Promise<void>;
	duplicatePreset(id: number, name: string): Promise<Preset>;
	setPresetFavourite(id: number, favourite: boolean): Promise<void>;
	setPresetHidden(id: number, hidden: boolean): Promise<void>;
	reorderPresets(ids: number[]): Promise<void>;
	deletePreset(id: number): Promise<void>;
	exportPresets(path: string, names: string[]): Promise<number>;
	importPresets(path: string): Promise<ImportResult>;

	loadSettings(): Promise<Settings>;
	saveSettings(s: Settings): Promise<void>;

	/** Subscribes to lab:status, the resident model's state and load progress. */
	onLabStatus(handler: (s: LabStatus) => void): Unsubscribe;
	/** Subscribes to lab:event, the steps of a running comparison or replay. */
	onLabEvent(handler: (e: LabEvent) => void): Unsubscribe;
	/** Subscribes to app:navigate: the tray asks for a route such as "#/quick". */
	onNavigate(handler: (route: string) => void): Unsubscribe;
	/** Subscribes to app:run-all: the app asks for what the Run all button does. */
	onRunAll(handler: () => void): Unsubscribe;
}

/** Code of errors that did not come from the backend formatter. */
export const codeInternal = 'internal';

/** Code the offline backend reports: the UI runs without the Go side (vite dev). */
export const codeNoBackend = 'no_backend';

/** Returns the Wails backend inside the app, and an offline one in a plain browser. */
export function connectBackend(): Backend {
	return hasWails() ? wailsBackend : offlineBackend;
}

function hasWails(): boolean {
	return typeof window !== 'undefined' && 'go' in window;
}

// The generated classes and the plain shapes in types.ts describe the same JSON; the
// casts below only cross from one description to the other.
const wailsBackend: Backend = {
	ready: (title) => App.Ready(title),
	status: async () => ({ ...(await App.Status()) }),

	labStatus: async () => (await App.LabStatus()) as unknown as LabStatus,
	labNotices: async () => (await App.LabNotices()) ?? [],
	uiReport: (name, detail) => App.UIReport(name, detail),
	setCompact: (compact) => App.SetCompact(compact),
	loadModel: (ref) => App.LoadModel(ref),
	cancelLoad: () => App.CancelLoad(),
	unloadModel: () => App.UnloadModel(),
	localModels: async () => ((await App.LocalModels()) ?? []) as unknown as LocalModel[],

	compare: async (req) =>
		(await App.Compare(
			req as unknown as Parameters<typeof App.Compare>[0]
		)) as unknown as CompareResult,
	cancelComparison: () => App.CancelComparison(),
	cancelColumn: (column) => App.CancelColumn(column),
	replay: async (id) => (await App.Replay(id)) as unknown as ReplayReport,

	listRuns: async (q) => ((await App.ListRuns(q)) ?? []) as unknown as Run[],
	getRun: async (id) => (await App.GetRun(id)) as unknown as Run,
	deleteRun: (id) => App.DeleteRun(id),
	clearHistory: () => App.ClearHistory(),

	presets: async (withHidden) => ((await App.Presets(withHidden)) ?? []) as unknown as Preset[],
	savePreset: async (name, description, regime) =>
		(await App.SavePreset(
			name,
			description,
			regime as unknown as Parameters<typeof App.SavePreset>[2]
		)) as unknown as Preset,
	renamePreset: (id, name) => App.RenamePreset(id, name),
	duplicatePreset: async (id, name) => (await App.DuplicatePreset(id, name)) as unknown as Preset,
	setPresetFavourite: (id, favourite) => App.SetPresetFavourite(id, favourite),
	setPresetHidden: (id, hidden) => App.SetPresetHidden(id, hidden),
	reorderPresets: (ids) => App.ReorderPresets(ids),
	deletePreset: (id) => App.DeletePreset(id),
	exportPresets: (path, names) => App.ExportPresets(path, names),
	importPresets: async (path) => (await App.ImportPresets(path)) as unknown as ImportResult,

	loadSettings: async () => (await App.LoadSettings()) as unknown as Settings,
	saveSettings: (s) => App.SaveSettings(s as unknown as Parameters<typeof App.SaveSettings>[0]),

	onLabStatus: (handler) => EventsOn('lab:status', (s: LabStatus) => handler(s)),
	onLabEvent: (handler) => EventsOn('lab:event', (e: LabEvent) => handler(e)),
	onNavigate: (handler) => EventsOn('app:navigate', (route: string) => handler(route)),
	onRunAll: (handler) => EventsOn('app:run-all', () => handler())
};

const noBackend: AppError = {
	code: codeNoBackend,
	message: 'The Knobs backend is not running; start the app with make run.'
};

async function fail(): Promise<never> {
	throw noBackend;
}

/** A backend for running the UI outside the app: every call fails with no_backend. */
export const offlineBackend: Backend = {
	ready: async () => {},
	status: fail,
	labStatus: fail,
	labNotices: async () => [],
	uiReport: async () => {},
	setCompact: async () => {},
	loadModel: fail,
	cancelLoad: async () => {},
	unloadModel: fail,
	localModels: async () => [],
	compare: fail,
	cancelComparison: async () => {},
	cancelColumn: async () => false,
	replay: fail,
	listRuns: fail,
	getRun: fail,
	deleteRun: fail,
	clearHistory: fail,
	presets: fail,
	savePreset: fail,
	renamePreset: fail,
	duplicatePreset: fail,
	setPresetFavourite: fail,
	setPresetHidden: fail,
	reorderPresets: fail,
	deletePreset: fail,
	exportPresets: fail,
	importPresets: fail,
	loadSettings: fail,
	saveSettings: fail,
	onLabStatus: () => () => {},
	onLabEvent: () => () => {},
	onNavigate: () => () => {},
	onRunAll: () => () => {}
};

/** Turns whatever a rejected call gave into an AppError. */
export function toAppError(err: unknown): AppError {
	if (typeof err === 'string') {
		try {
			return toAppError(JSON.parse(err) as unknown);
		} catch {
			return { code: codeInternal, message: err };
		}
	}
	if (isAppError(err)) {
		return { code: err.code, message: err.message };
	}
	if (err instanceof Error) {
		return { code: codeInternal, message: err.message };
	}
	return { code: codeInternal, message: String(err) };
}

function isAppError(v: unknown): v is AppError {
	return (
		typeof v === 'object' &&
		v !== null &&
		typeof (v as AppError).code === 'string' &&
		typeof (v as AppError).message === 'string'
	);
}
