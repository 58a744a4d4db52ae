// The knobs a column exposes, their valid ranges (the backend's, see
// backend/sampling/params.go) and the slider span that covers the useful part.
import type { MessageKey } from '../i18n/en';
import type { Regime } from '../services/types';

/** The numeric knobs of a regime that have a slider. */
export type KnobKey = 'temp' | 'top_p' | 'top_k' | 'min_p' | 'repetition_penalty';

/** How one knob is edited and validated. */
export interface KnobSpec {
	key: KnobKey;
	label: MessageKey;
	/** Sentence that explains the range, shown under the control. */
	hint: MessageKey;
	/** Error shown when a value is outside the range. */
	error: MessageKey;
	/** The slider covers [min, max]; exact entry may go further where the range allows. */
	slider: { min: number; max: number; step: number };
	integer: boolean;
	valid(v: number): boolean;
}

export const knobSpecs: readonly KnobSpec[] = [
	{
		key: 'temp',
		label: 'knob.temp',
		hint: 'knob.temp.hint',
		error: 'knob.temp.error',
		slider: { min: 0, max: 3, step: 0.05 },
		integer: false,
		valid: (v) => v >= 0
	},
	{
		key: 'top_p',
		label: 'knob.top_p',
		hint: 'knob.top_p.hint',
		error: 'knob.top_p.error',
		slider: { min: 0.01, max: 1, step: 0.01 },
		integer: false,
		valid: (v) => v > 0 && v <= 1
	},
	{
		key: 'top_k',
		label: 'knob.top_k',
		hint: 'knob.top_k.hint',
		error: 'knob.top_k.error',
		slider: { min: 0, max: 200, step: 1 },
		integer: true,
		valid: (v) => v >= 0 && v <= 1_000_000
	},
	{
		key: 'min_p',
		label: 'knob.min_p',
		hint: 'knob.min_p.hint',
		error: 'knob.min_p.error',
		slider: { min: 0, max: 0.5, step: 0.01 },
		integer: false,
		valid: (v) => v >= 0 && v < 1
	},
	{
		key: 'repetition_penalty',
		label: 'knob.repetition_penalty',
		hint: 'knob.repetition_penalty.hint',
		error: 'knob.repetition_penalty.error',
		slider: { min: 0.5, max: 2, step: 0.01 },
		integer: false,
		valid: (v) => v > 0 && v <= 100
	}
];

/** Returns the spec of key. */
export function knobSpec(key: KnobKey): KnobSpec {
	const spec = knobSpecs.find((s) => s.key === key);
	if (!spec) throw new Error(`no knob ${key}`);
	return spec;
}

/** store.MaxRegimeTokens: the longest column the backend accepts. */
export const maxRegimeTokens = 8192;

/** Largest seed the number entry accepts exactly (seeds are uint64 in Go). */
export const maxSeed = Number.MAX_SAFE_INTEGER;

/**
 * Parses an exact numeric entry. It returns null for text that is not a finite number,
 * or not an integer when integer is set; the range is checked by the caller.
 */
export function parseKnob(text: string, integer: boolean): number | null {
	const trimmed = text.trim();
	if (trimmed === '') return null;
	const v = Number(trimmed);
	if (!Number.isFinite(v)) return null;
	if (integer && !Number.isInteger(v)) return null;
	return v;
}

/** mlx-lm's neutral knobs: every filter and penalty off, greedy. */
export function neutralRegime(): Regime {
	return {
		temp: 0,
		top_p: 1,
		top_k: 0,
		min_p: 0,
		repetition_penalty: 1,
		repetition_context: 20,
		presence_penalty: 0,
		frequency_penalty: 0,
		sampler: 'mlx-lm'
	};
}

/** The three columns of a first start, matching the built-in presets of the same names. */
export function starterColumns(): { preset: string; regime: Regime }[] {
	return [
		{ preset: 'Greedy', regime: { ...neutralRegime(), name: 'Greedy' } },
		{
			preset: 'Default zone',
			regime: { ...neutralRegime(), name: 'Default zone', temp: 0.7, top_p: 0.95 }
		},
		{ preset: 'Creative', regime: { ...neutralRegime(), name: 'Creative', temp: 1.5, top_p: 0.95 } }
	];
}
