// The knob playground: what the sampler chain would do to a recorded step with other
// knob values. It works over the top K candidates the inspector recorded, renormalized
// among themselves, so it is exact only when the tail beyond K carries little mass.
// The orders follow backend/sampling/chains.go (mlx-lm's, transformers' and
// llama.cpp's), written over a short list with plain sorts.
import type { SamplerName } from '../services/types';

/** The knobs the playground varies, plus the column's top_k and chain. */
export interface PlaygroundKnobs {
	temp: number;
	top_p: number;
	min_p: number;
	top_k: number;
	sampler: SamplerName;
}

/** One candidate after the playground's chain. */
export interface ReshapedCandidate {
	/** Index into the input list. */
	index: number;
	/** Probability among the candidates before any filter, at temperature 1. */
	base: number;
	/** Final probability (0 if a filter removed it). */
	prob: number;
	/** The first filter that removed it, or '' if it survived. */
	removedBy: '' | 'top_k' | 'top_p' | 'min_p';
}

/**
 * Reshapes a step. logprobs are the candidates' (penalized) log-probabilities in any
 * order; the result has one entry per input, in input order. Temperature 0 is greedy:
 * the best candidate gets 1 and no filter applies, as in every chain.
 */
export function reshape(logprobs: readonly number[], k: PlaygroundKnobs): ReshapedCandidate[] {
	const n = logprobs.length;
	const base = softmax(logprobs);
	const out: ReshapedCandidate[] = logprobs.map((_, i) => ({
		index: i,
		base: base[i] ?? 0,
		prob: 0,
		removedBy: ''
	}));
	if (n === 0) return out;

	// Rank by logprob, ties by position (the recorded order is already the backend's).
	const order = [...logprobs.keys()].sort(
		(a, b) => (logprobs[b] ?? 0) - (logprobs[a] ?? 0) || a - b
	);
	if (k.temp === 0) {
		out[order[0] ?? 0]!.prob = 1;
		return out;
	}

	const kept = new Set(order);
	const remove = (name: ReshapedCandidate['removedBy'], keep: (i: number) => boolean) => {
		for (const i of [...kept]) {
			if (!keep(i)) {
				kept.delete(i);
				out[i]!.removedBy = name;
			}
		}
	};
	// scaled are the logits the filters of a chain look at.
	const tempered = logprobs.map((v) => v / k.temp);
	const topK = () => {
		if (k.top_k <= 0 || k.top_k >= kept.size) return;
		const ranked = order.filter((i) => kept.has(i));
		const allowed = new Set(ranked.slice(0, k.top_k));
		if (k.sampler === 'transformers') {
			// transformers keeps every token tied with the k-th.
			const kth = logprobs[ranked[k.top_k - 1]!]!;
			remove('top_k', (i) => allowed.has(i) || logprobs[i] === kth);
		} else {
			remove('top_k', (i) => allowed.has(i));
		}
	};
	const topP = (scores: readonly number[]) => {
		if (k.top_p >= 1) return;
		const ranked = order.filter((i) => kept.has(i));
		const probs = softmaxOver(scores, ranked);
		let above = 0;
		const keep = new Set<number>();
		ranked.forEach((i, r) => {
			if (above < k.top_p) keep.add(i);
			above += probs[r] ?? 0;
		});
		remove('top_p', (i) => keep.has(i));
	};
	const minP = (scores: readonly number[]) => {
		if (k.min_p <= 0) return;
		const top = Math.max(...[...kept].map((i) => scores[i]!));
		remove('min_p', (i) => scores[i]! - top >= Math.log(k.min_p));
	};

	switch (k.sampler) {
		case 'mlx-lm':
			topP(logprobs);
			minP(logprobs);
			topK();
			break;
		case 'transformers':
			topK();
			topP(tempered);
			minP(tempered);
			break;
		case 'llama.cpp':
			topK();
			topP(logprobs);
			minP(logprobs);
			break;
	}

	// The draw: softmax of logits/temp over the kept set.
	const ranked = order.filter((i) => kept.has(i));
	const final = softmaxOver(tempered, ranked);
	ranked.forEach((i, r) => (out[i]!.prob = final[r] ?? 0));
	return out;
}

/** Entropy in nats of a distribution (zero entries ignored). */
export function entropy(probs: readonly number[]): number {
	let h = 0;
	for (const p of probs) if (p > 0) h -= p * Math.log(p);
	return h;
}

function softmax(xs: readonly number[]): number[] {
	return softmaxOver(xs, [...xs.keys()]);
}

// softmaxOver returns the softmax of xs restricted to the indices in idx, in idx order,
// with the maximum subtracted before exp.
function softmaxOver(xs: readonly number[], idx: readonly number[]): number[] {
	if (idx.length === 0) return [];
	const m = Math.max(...idx.map((i) => xs[i]!));
	const e = idx.map((i) => Math.exp(xs[i]! - m));
	const sum = e.reduce((a, b) => a + b, 0);
	return e.map((v) => v / sum);
}
