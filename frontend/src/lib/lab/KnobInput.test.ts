import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import KnobHarness from '../../test/KnobHarness.svelte';
import { knobSpec, type KnobKey } from './knobs';

function setup(key: KnobKey, value: number) {
	let current = value;
	render(KnobHarness, { spec: knobSpec(key), initial: value, onvalue: (v) => (current = v) });
	return {
		exact: screen.getByTestId(`knob-${key}`) as HTMLInputElement,
		slider: screen.getByTestId(`knob-${key}-slider`) as HTMLInputElement,
		value: () => current
	};
}

describe('KnobInput', () => {
	it('writes a valid exact entry back and explains the range', async () => {
		const k = setup('temp', 0.7);
		expect(k.exact.value).toBe('0.7');
		await fireEvent.input(k.exact, { target: { value: '1.25' } });
		expect(k.value()).toBe(1.25);
		expect(k.exact.getAttribute('aria-invalid')).toBe('false');
		expect(screen.getByText(/0 = greedy/)).toBeTruthy();
	});

	it.each([
		['temp', '-0.1', 'Temperature must be 0 or more, got -0.1.'],
		['top_p', '0', 'top_p must be above 0 and at most 1, got 0.'],
		['top_p', '1.5', 'top_p must be above 0 and at most 1, got 1.5.'],
		['top_k', '2.5', 'top_k must be a whole number, 0 or more, got 2.5.'],
		['top_k', '-1', 'top_k must be a whole number, 0 or more, got -1.'],
		['min_p', '1', 'min_p must be at least 0 and below 1, got 1.'],
		['repetition_penalty', '0', 'repetition_penalty must be above 0 (at most 100), got 0.']
	] as const)('refuses %s = %s with an inline error', async (key, text, message) => {
		const start = key === 'top_p' || key === 'repetition_penalty' ? 1 : 0;
		const k = setup(key, start);
		await fireEvent.input(k.exact, { target: { value: text } });
		expect(k.value()).toBe(start);
		expect(k.exact.getAttribute('aria-invalid')).toBe('true');
		expect(screen.getByRole('alert').textContent?.trim()).toBe(message);
	});

	it('puts back the last valid value when a bad entry is left', async () => {
		const k = setup('min_p', 0.05);
		await fireEvent.input(k.exact, { target: { value: '2' } });
		await fireEvent.blur(k.exact);
		expect(k.exact.value).toBe('0.05');
		expect(screen.queryByRole('alert')).toBeNull();
	});

	it('keeps the slider and the exact entry in step', async () => {
		const k = setup('temp', 0.7);
		await fireEvent.input(k.slider, { target: { value: '1.5' } });
		expect(k.value()).toBe(1.5);
		expect(k.exact.value).toBe('1.5');
		await fireEvent.input(k.exact, { target: { value: '0.35' } });
		expect(k.slider.value).toBe('0.35');
	});

	it('accepts exact values beyond the slider where the range allows', async () => {
		const k = setup('temp', 1);
		await fireEvent.input(k.exact, { target: { value: '5' } });
		expect(k.value()).toBe(5);
		expect(k.slider.value).toBe('3');
	});

	it('rounds the top_k slider to whole numbers', async () => {
		const k = setup('top_k', 0);
		await fireEvent.input(k.slider, { target: { value: '40' } });
		expect(k.value()).toBe(40);
		expect(Number.isInteger(k.value())).toBe(true);
	});
});
