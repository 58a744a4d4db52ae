// The only module that talks to the Go side. Components receive a Backend and never
// import the generated Wails bindings or runtime themselves, so that they can be
// tested with a fake and rendered in a plain browser.
import { Ready, Status } from '../../../wailsjs/go/main/App';

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

/** What the UI may ask of the backend. */
export interface Backend {
	/** Tells the backend the UI has mounted; called once with the document title. */
	ready(title: string): Promise<void>;
	status(): Promise<BackendStatus>;
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

const wailsBackend: Backend = {
	ready: (title) => Ready(title),
	status: async () => ({ ...(await Status()) })
};

/** A backend for running the UI outside the app: every call fails with no_backend. */
export const offlineBackend: Backend = {
	ready: async () => {},
	status: async () => {
		throw {
			code: codeNoBackend,
			message: 'The Knobs backend is not running; start the app with make run.'
		} satisfies AppError;
	}
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
