import { describe, expect, it } from 'vitest';
import {
	formatBytes,
	formatNumber,
	formatPercent,
	regimeSummary,
	tokenMark,
	visibleToken
} from './format';

describe('format', () => {
	it('rounds numbers from Go for display', () => {
		expect(formatNumber(0.949999988)).toBe('0.95');
		expect(formatNumber(2, 3)).toBe('2');
		expect(formatNumber(-0.0001)).toBe('0');
		expect(formatPercent(0.949999988)).toBe('95.0%');
		expect(formatPercent(0.0001)).toBe('<0.1%');
		expect(formatBytes(1536)).toBe('1.5 KiB');
	});

	it('makes spaces and newlines of a token visible', () => {
		expect(visibleToken(' a\n')).toBe('·a↵');
	});

	it('marks tokens that would take no width in the output', () => {
		expect(tokenMark('\n')).toBe('↵');
		expect(tokenMark('\n\n')).toBe('↵');
		expect(tokenMark('')).toBe('◌');
		expect(tokenMark(' \n')).toBe('');
		expect(tokenMark('.\n')).toBe('');
		expect(tokenMark(' ')).toBe('');
	});
});

describe('regimeSummary', () => {
	it('names the active knobs, rounded', () => {
		expect(
			regimeSummary({
				temp: 0.699999988,
				top_p: 0.95,
				top_k: 40,
				min_p: 0,
				repetition_penalty: 1.1,
				repetition_context: 20,
				presence_penalty: 0,
				frequency_penalty: 0,
				sampler: 'llama.cpp'
			})
		).toBe('temp 0.7 · top_p 0.95 · top_k 40 · repetition_penalty 1.1 · llama.cpp');
	});
});
