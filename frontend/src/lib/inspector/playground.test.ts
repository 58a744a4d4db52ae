import { describe, expect, it } from 'vitest';
import { entropy, reshape, type PlaygroundKnobs } from './playground';

const lp = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
const off: PlaygroundKnobs = { temp: 1, top_p: 1, min_p: 0, top_k: 0, sampler: 'mlx-lm' };

function probs(knobs: Partial<PlaygroundKnobs>, logprobs = lp): number[] {
	return reshape(logprobs, { ...off, ...knobs }).map((r) => r.prob);
}

describe('reshape', () => {
	it('keeps the distribution at temperature 1 with every filter off', () => {
		const p = probs({});
		[0.5, 0.3, 0.2].forEach((want, i) => expect(p[i]).toBeCloseTo(want, 12));
	});

	it('top_p 0.6 keeps two candidates and renormalizes them to .625 and .375', () => {
		const r = reshape(lp, { ...off, top_p: 0.6 });
		expect(r[0]!.prob).toBeCloseTo(0.625, 12);
		expect(r[1]!.prob).toBeCloseTo(0.375, 12);
		expect(r[2]!.prob).toBe(0);
		expect(r.map((c) => c.removedBy)).toEqual(['', '', 'top_p']);
	});

	it('temperature 0 is greedy: the top candidate gets everything, no filter acts', () => {
		const r = reshape(lp, { ...off, temp: 0, top_p: 0.1 });
		expect(r.map((c) => c.prob)).toEqual([1, 0, 0]);
		expect(r.every((c) => c.removedBy === '')).toBe(true);
	});

	it('temperature 2 takes the square root of the probabilities before normalizing', () => {
		// sqrt(.5), sqrt(.3), sqrt(.2) = .70711, .54772, .44721; sum 1.70204.
		const p = probs({ temp: 2 });
		expect(p[0]).toBeCloseTo(0.41545, 4);
		expect(p[1]).toBeCloseTo(0.3218, 4);
		expect(p[2]).toBeCloseTo(0.26275, 4);
	});

	it('min_p 0.5 drops candidates below half the top probability', () => {
		const r = reshape(lp, { ...off, min_p: 0.5 });
		expect(r[0]!.prob).toBeCloseTo(0.625, 12);
		expect(r[2]!.removedBy).toBe('min_p');
	});

	it('top_k 1 keeps only the best candidate', () => {
		const r = reshape(lp, { ...off, top_k: 1, temp: 1.5 });
		expect(r.map((c) => c.prob)).toEqual([1, 0, 0]);
		expect(r[1]!.removedBy).toBe('top_k');
	});

	it('mlx-lm filters before temperature, transformers after it', () => {
		// top_p 0.45 at temp 2: mlx-lm sees .5 first and keeps one; transformers sees the
		// tempered .41545 < .45 and keeps two: .41545/.73725 = .56351.
		expect(probs({ temp: 2, top_p: 0.45 })).toEqual([1, 0, 0]);
		const p = probs({ temp: 2, top_p: 0.45, sampler: 'transformers' });
		expect(p[0]).toBeCloseTo(0.56351, 4);
		expect(p[1]).toBeCloseTo(0.43649, 4);
		expect(p[2]).toBe(0);
	});

	it('transformers keeps ties with the k-th candidate; llama.cpp does not', () => {
		const tied = [Math.log(0.4), Math.log(0.3), Math.log(0.3)];
		expect(probs({ top_k: 2, sampler: 'transformers' }, tied).filter((p) => p > 0)).toHaveLength(3);
		expect(probs({ top_k: 2, sampler: 'llama.cpp' }, tied).filter((p) => p > 0)).toHaveLength(2);
	});

	it('renormalizes candidates whose recorded mass is below one', () => {
		const p = probs({}, [Math.log(0.3), Math.log(0.1)]);
		expect(p[0]).toBeCloseTo(0.75, 12);
		expect(p[1]).toBeCloseTo(0.25, 12);
	});
});

describe('entropy', () => {
	it('is ln 2 for a fair coin and 0 for a certainty', () => {
		expect(entropy([0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
		expect(entropy([1, 0, 0])).toBe(0);
	});
});
