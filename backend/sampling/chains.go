package sampling

import "math"

// The three sampler chains, each in one place. docs/sampling.md has the same orders
// with the lines of the sources they reproduce and every edge case.
//
// mlx-lm (mlx_lm/sample_utils.py make_sampler + make_logits_processors, driven by
// generate.py generate_step):
//
//	logit_bias → repetition_penalty → presence_penalty → frequency_penalty
//	  (over the last repetition_context ids of prompt + generated, default 20)
//	temp 0: argmax, nothing else
//	else, on the untempered log-probabilities:
//	  top_p (if 0 < top_p < 1) → min_p (if > 0) → top_k (if > 0)
//	  → categorical draw at logits/temp
//
// transformers (generation/utils.py _get_logits_processor, logits_process.py):
//
//	logit_bias (sequence_bias) → repetition_penalty (over every input id)
//	temp 0: argmax (do_sample=False)
//	else: temperature → top_k (ties kept) → top_p → min_p (min_tokens_to_keep 1)
//	  → multinomial draw
//
// llama.cpp (common/sampling.cpp common_sampler_init with the default sampler list
// of common/common.h, samplers in src/llama-sampling.cpp):
//
//	logit_bias → penalties (repeat, frequency, presence; last 64 ids incl. prompt)
//	  → [dry off] → [top_n_sigma off] → top_k → [typical off] → top_p → min_p
//	  → [xtc off] → temperature → dist draw
//	temp 0: argmax of the penalized logits (every filter keeps the maximum)

type chainKind int

const (
	chainMLXLM chainKind = iota
	chainTransformers
	chainLlamaCpp
)

// filter runs the chain's filters and returns the kept set after each active one.
// Every filter keeps a prefix of the same ranking (penalized logit descending, id
// ascending), so a kept set is a cut of that ranking and later filters intersect.
func (s *Sampler) filter() []stage {
	p := s.p
	var stages []stage
	kept := keepAll
	add := func(name string, c cut) {
		kept = minCut(kept, c)
		stages = append(stages, stage{name, kept})
	}
	minPCut := cut{s.minPD, math.MaxInt32}

	switch s.chain {
	case chainMLXLM:
		if p.TopP > 0 && p.TopP < 1 {
			add("top_p", s.topPCut(p.TopP, kept))
		}
		if p.MinP > 0 {
			add("min_p", minPCut)
		}
		if p.TopK > 0 {
			add("top_k", s.topKCut(p.TopK, false))
		}
	case chainTransformers, chainLlamaCpp:
		if p.TopK > 0 {
			add("top_k", s.topKCut(p.TopK, s.chain == chainTransformers))
		}
		if p.TopP < 1 {
			add("top_p", s.topPCut(p.TopP, kept))
		}
		if p.MinP > 0 {
			add("min_p", minPCut)
		}
	}
	return stages
}

// referenceDistribution is the same chain written with the pure functions of
// transforms.go and full sorts: the final probabilities ([vocab], 0 = removed), the
// penalized logits, and the filter that removed each token (empty if none). It is the
// plain-Go reference the Sampler is tested against.
func referenceDistribution(p Params, logits []float32, history []int32) (
	probs, penalized []float64, removedBy []string) {
	if p.Sampler == "" {
		p.Sampler = SamplerMLXLM
	}
	w := make([]float64, len(logits))
	for i, v := range logits {
		w[i] = float64(v)
	}

	// Processors.
	window := history
	ctx := p.RepetitionContext
	if ctx == 0 {
		ctx = map[string]int{SamplerMLXLM: DefaultContextMLXLM,
			SamplerLlamaCpp: DefaultContextLlamaCpp}[p.Sampler]
	}
	if ctx > 0 && ctx < len(history) {
		window = history[len(history)-ctx:]
	}
	w = logitBias(w, p.LogitBias)
	if p.RepetitionPenalty != 1 {
		w = repetitionPenalty(w, window, p.RepetitionPenalty)
	}
	w = presencePenalty(w, window, p.PresencePenalty)
	w = frequencyPenalty(w, window, p.FrequencyPenalty)
	penalized = w
	removedBy = make([]string, len(w))

	if p.Temperature == 0 {
		probs = make([]float64, len(w))
		probs[rankOrder(w)[0]] = 1
		return probs, penalized, removedBy
	}

	// Filters, recording the first one that removed each token.
	apply := func(name string, next []float64) []float64 {
		for i := range next {
			if math.IsInf(next[i], -1) && removedBy[i] == "" {
				removedBy[i] = name
			}
		}
		return next
	}
	switch p.Sampler {
	case SamplerMLXLM:
		lp := logSoftmax(w)
		if p.TopP > 0 && p.TopP < 1 {
			lp = apply("top_p", topP(lp, p.TopP))
		}
		lp = apply("min_p", minP(lp, p.MinP))
		lp = apply("top_k", topK(lp, p.TopK, false))
		probs = softmax(temperature(lp, p.Temperature))
	case SamplerTransformers:
		sc := temperature(w, p.Temperature)
		sc = apply("top_k", topK(sc, p.TopK, true))
		sc = apply("top_p", topP(sc, p.TopP))
		sc = apply("min_p", minP(sc, p.MinP))
		probs = softmax(sc)
	case SamplerLlamaCpp:
		sc := apply("top_k", topK(w, p.TopK, false))
		sc = apply("top_p", topP(sc, p.TopP))
		sc = apply("min_p", minP(sc, p.MinP))
		probs = softmax(temperature(sc, p.Temperature))
	}
	return probs, penalized, removedBy
}
