import { describe, expect, it } from 'vitest';
import { formatBytes, formatNumber, formatPercent, visibleToken } from './format';

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
});
