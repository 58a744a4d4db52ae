import type { Regime } from '../services/types';

// Display forms of numbers that cross from Go. The exact values stay in data attributes;
// people see these (never 0.949999988).

/** Formats x with at most digits decimals, trailing zeros dropped. */
export function formatNumber(x: number, digits = 3): string {
	if (!Number.isFinite(x)) return String(x);
	const fixed = x.toFixed(digits);
	const trimmed = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
	return trimmed === '-0' ? '0' : trimmed;
}

/** Formats a probability as a percentage with one decimal ("<0.1%" for tiny ones). */
export function formatPercent(p: number): string {
	if (!Number.isFinite(p)) return '–';
	if (p > 0 && p < 0.0005) return '<0.1%';
	return `${(p * 100).toFixed(1)}%`;
}

/** Formats a byte count with a binary unit. */
export function formatBytes(n: number): string {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let v = n;
	let u = 0;
	while (v >= 1024 && u < units.length - 1) {
		v /= 1024;
		u++;
	}
	return `${formatNumber(v, u === 0 ? 0 : 1)} ${units[u]}`;
}

/** Shows a token's text with its invisible characters made visible. */
export function visibleToken(text: string): string {
	return text.replace(/ /g, '·').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

/**
 * The mark shown in front of a token that would take no width in flowing text, so that
 * it can still be pointed at and clicked: '↵' for line breaks alone, '◌' for no text
 * (a byte of a character that a later token completes). Other tokens get ''.
 */
export function tokenMark(text: string): string {
	if (text === '') return '◌';
	return /^[\r\n]+$/.test(text) ? '↵' : '';
}

/** One line naming a regime's active knobs, rounded: "temp 0.7 · top_p 0.95 · mlx-lm". */
export function regimeSummary(r: Regime): string {
	const n = (x: number) => formatNumber(x, 4);
	const parts = [`temp ${n(r.temp)}`, `top_p ${n(r.top_p)}`];
	if (r.top_k) parts.push(`top_k ${r.top_k}`);
	if (r.min_p) parts.push(`min_p ${n(r.min_p)}`);
	if (r.repetition_penalty !== 1) parts.push(`repetition_penalty ${n(r.repetition_penalty)}`);
	parts.push(r.sampler);
	return parts.join(' · ');
}
