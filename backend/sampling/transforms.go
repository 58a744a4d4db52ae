package sampling

import (
	"math"
	"slices"
)

// This file holds the knobs as small pure functions over a dense logits vector
// ([vocab]float64, a removed token is -Inf). They are the plain reference: easy to
// read, sorting the whole vocabulary where a filter needs an order. The Sampler in
// sampler.go computes the same distributions without a full sort, and the tests check
// it against chains built from these functions.
//
// Ranking rule shared by every filter: tokens are ordered by logit, highest first,
// and equal logits by token id, lowest first. That fixes the ties at the top_k and
// top_p boundaries (the reference tools leave them to their sort implementation).

// logitBias returns logits with bias[id] added to each listed token (mlx-lm's
// logit_bias processor, transformers' sequence_bias for one-token sequences,
// llama.cpp's logit_bias sampler).
func logitBias(logits []float64, bias map[int32]float64) []float64 {
	out := slices.Clone(logits)
	for id, b := range bias {
		out[id] += b
	}
	return out
}

// repetitionPenalty divides the positive logits and multiplies the negative ones of
// every distinct token in window by penalty (CTRL, arXiv:1909.05858, with the sign
// fix all three tools use). A token occurring several times is penalized once.
// llama.cpp multiplies when logit <= 0 and the others when logit < 0; for 0 both give 0.
func repetitionPenalty(logits []float64, window []int32, penalty float64) []float64 {
	out := slices.Clone(logits)
	for _, id := range distinct(window) {
		if out[id] < 0 {
			out[id] *= penalty
		} else {
			out[id] /= penalty
		}
	}
	return out
}

// presencePenalty subtracts penalty once from every distinct token in window
// (mlx-lm's make_presence_penalty, OpenAI's presence_penalty).
func presencePenalty(logits []float64, window []int32, penalty float64) []float64 {
	out := slices.Clone(logits)
	for _, id := range distinct(window) {
		out[id] -= penalty
	}
	return out
}

// frequencyPenalty subtracts penalty from a token's logit once per occurrence in
// window (mlx-lm's make_frequency_penalty, OpenAI's frequency_penalty).
func frequencyPenalty(logits []float64, window []int32, penalty float64) []float64 {
	out := slices.Clone(logits)
	for _, id := range window {
		out[id] -= penalty
	}
	return out
}

// temperature divides every logit by t (t > 0).
func temperature(logits []float64, t float64) []float64 {
	out := make([]float64, len(logits))
	for i, v := range logits {
		out[i] = v / t
	}
	return out
}

// topK keeps the k highest-ranked tokens; k <= 0 or k >= len keeps all. With keepTies
// every token whose logit equals the k-th one is kept too (transformers'
// TopKLogitsWarper: scores < k-th score are removed); without, exactly k survive
// (mlx-lm's argpartition, llama.cpp's partial sort; ties broken by id here).
func topK(logits []float64, k int, keepTies bool) []float64 {
	if k <= 0 || k >= len(logits) {
		return slices.Clone(logits)
	}
	order := rankOrder(logits)
	out := slices.Clone(logits)
	kth := logits[order[k-1]]
	for _, id := range order[k:] {
		if keepTies && logits[id] == kth {
			continue
		}
		out[id] = math.Inf(-1)
	}
	return out
}

// topP keeps the smallest rank prefix whose probability mass reaches p, the mass
// taken from softmax(logits): a token is kept iff the mass ranked strictly above it
// is < p. This is mlx-lm's apply_top_p and transformers' TopPLogitsWarper (keep where
// the ascending cumulative sum > 1-p) and llama.cpp's top-p (stop once the running
// sum >= p), written the same way. p >= 1 keeps all. The top token always survives.
func topP(logits []float64, p float64) []float64 {
	if p >= 1 {
		return slices.Clone(logits)
	}
	probs := softmax(logits)
	out := slices.Clone(logits)
	above := 0.0
	for _, id := range rankOrder(logits) {
		if above >= p {
			out[id] = math.Inf(-1)
		}
		above += probs[id]
	}
	return out
}

// minP removes the tokens whose probability is below p times the top probability
// (mlx-lm's apply_min_p, transformers' MinPLogitsWarper, llama.cpp's min-p): in
// logits, those more than ln(1/p) below the maximum. p <= 0 keeps all; the top token
// always survives.
func minP(logits []float64, p float64) []float64 {
	out := slices.Clone(logits)
	if p <= 0 {
		return out
	}
	m := slices.Max(logits)
	for i, v := range logits {
		if v-m < math.Log(p) {
			out[i] = math.Inf(-1)
		}
	}
	return out
}

// softmax returns exp(logits) normalized, computed with the maximum subtracted.
func softmax(logits []float64) []float64 {
	m := slices.Max(logits)
	out := make([]float64, len(logits))
	sum := 0.0
	for i, v := range logits {
		out[i] = math.Exp(v - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// logSoftmax returns logits - logsumexp(logits).
func logSoftmax(logits []float64) []float64 {
	m := slices.Max(logits)
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(v - m)
	}
	lse := m + math.Log(sum)
	out := make([]float64, len(logits))
	for i, v := range logits {
		out[i] = v - lse
	}
	return out
}

// rankOrder returns token ids sorted by logit descending, then id ascending.
func rankOrder(logits []float64) []int32 {
	order := make([]int32, len(logits))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareRank(logits, a, b) })
	return order
}

// compareRank orders two tokens by the ranking rule: higher logit first, then lower id.
func compareRank(logits []float64, a, b int32) int {
	switch {
	case logits[a] > logits[b]:
		return -1
	case logits[a] < logits[b]:
		return 1
	default:
		return int(a) - int(b)
	}
}

// distinct returns the distinct ids of window in ascending order.
func distinct(window []int32) []int32 {
	ids := slices.Clone(window)
	slices.Sort(ids)
	return slices.Compact(ids)
}
