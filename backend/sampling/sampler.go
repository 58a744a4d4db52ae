package sampling

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

const (
	// maxVocab bounds the vocabulary so that the integer weights below, at most
	// weightScale each, sum without overflow in a uint64: 2^19 * 2^44 = 2^63.
	maxVocab = 1 << 19
	// weightScale turns a relative weight e in [0, 1] (1 for the top token) into the
	// integer floor(e * 2^44). Integer sums are exact and order-free, so filter cuts
	// and draws do not depend on summation order. A token more than about 30.5 (times
	// the temperature) below the top logit gets weight 0: probability < 3e-14.
	weightScale = 0x1p44

	// numBuckets and bucketsPerUnit group tokens by their distance below the top
	// logit, 1/16 of a logit per bucket up to 64, the last bucket holding the rest.
	// Filters sort only the bucket their boundary falls into.
	numBuckets     = 1024
	bucketsPerUnit = 16
)

// Sampler applies one regime's knobs to a column's logits. Construct it with New; it
// keeps scratch buffers sized to the vocabulary, so use one Sampler per goroutine
// (per column in a comparison). Its results depend only on its inputs.
type Sampler struct {
	p       Params
	chain   chainKind
	window  int     // tokens the penalties look at; 0 = the whole history
	filterT float64 // temperature of the distribution the filters see
	minPD   float64 // min_p as a distance below the top logit: keep d <= minPD
	biasIDs []int32 // logit_bias keys, ascending

	// Per-step scratch.
	w      []float64          // [vocab] logits after logit_bias and penalties
	maxW   float64            // max of w
	argmax int32              // lowest id with w == maxW
	bucket []uint16           // [vocab] distance bucket of each token
	count  [numBuckets]int32  // tokens per bucket
	mass   [numBuckets]uint64 // sum of qf per bucket
	// scan's partial histograms, one per chunk
	subCount [scanChunks][numBuckets]int32
	subMass  [scanChunks][numBuckets]uint64
	qf       []uint64  // [vocab] integer weights at filterT (when top_p needs masses)
	eT       []float64 // [vocab] float weights at the temperature (with sumsOK, temp > 0)
	massOK   bool      // qf and mass are filled
	bktOK    bool      // bucket and count are filled
	sum1     float64   // sum of exp(w - maxW) over the vocabulary, id order (with sumsOK)
	sumT     float64   // sum of exp((w - maxW)/temp), id order (with sumsOK, temp > 0)
	sumsOK   bool
	keptID   []int32  // final kept tokens, ascending id
	keptQ    []uint64 // their integer weights at the temperature
	keptS    uint64   // sum of keptQ
	keptH    float64  // entropy of the final distribution (nats)
	win      []int32  // scratch: sorted penalty window
	chg      []int32  // tokens whose logit bias or penalties changed, ascending, distinct
	sorted   []int32  // scratch: tokens of a bucket range in rank order
}

// New validates p once and returns a sampler for its chain. p is used as given:
// call p.WithDefaults() first to fill keys a preset left at zero.
func New(p Params) (*Sampler, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Sampler == "" {
		p.Sampler = SamplerMLXLM
	}
	s := &Sampler{p: p, filterT: 1, window: p.RepetitionContext, biasIDs: sortedBiasIDs(p.LogitBias)}
	switch p.Sampler {
	case SamplerMLXLM:
		s.chain = chainMLXLM
		if s.window == 0 {
			s.window = DefaultContextMLXLM
		}
	case SamplerTransformers:
		s.chain = chainTransformers
		s.filterT = p.Temperature // transformers filters after the temperature
	case SamplerLlamaCpp:
		s.chain = chainLlamaCpp
		if s.window == 0 {
			s.window = DefaultContextLlamaCpp
		}
	}
	if p.MinP > 0 && p.Temperature > 0 {
		// p_i >= min_p * p_max  <=>  (max - logit_i)/filterT <= -ln(min_p).
		s.minPD = float64(-logDet(p.MinP) * s.filterT)
	}
	return s, nil
}

// Params returns the knob values the sampler was built with.
func (s *Sampler) Params() Params { return s.p }

// Sample picks the next token. logits is the model's output for the last position
// ([vocab]); history is the prompt ids followed by the generated ids, and promptLen
// says where the prompt ends (all three chains include the prompt in the penalty
// history, so it is only checked). rng is the column's stream; it is not touched when
// the temperature is 0. inspectK > 0 fills Step.Candidates with the top inspectK
// tokens. Invalid logits or ids give an error, never a panic.
func (s *Sampler) Sample(logits []float32, history []int32, promptLen int, rng *Stream,
	inspectK int) (Step, error) {
	if err := s.prepare(logits, history, promptLen); err != nil {
		return Step{}, err
	}
	if s.p.Temperature == 0 {
		return s.greedyStep(logits, inspectK), nil
	}
	if rng == nil {
		return Step{}, errors.New("sampling: a stream is required when temp > 0")
	}
	if inspectK > 0 || s.needsBuckets() {
		s.scan(s.needsMass(), inspectK > 0)
	}

	stages := s.filter()
	final := keepAll
	if len(stages) > 0 {
		final = stages[len(stages)-1].kept
	}
	s.finalWeights(final)

	pick := s.draw(rng)

	step := Step{
		Token:   s.keptID[pick],
		Prob:    float64(s.keptQ[pick]) / float64(s.keptS),
		Entropy: s.keptH,
		Kept:    len(s.keptID),
	}
	if inspectK > 0 {
		s.inspect(&step, logits, stages, final, inspectK)
	} else {
		step.Rank = s.rankOf(step.Token)
	}
	return step, nil
}

// prepare checks the inputs, copies the logits to float64, applies logit_bias and the
// penalties, and finds the maximum.
func (s *Sampler) prepare(logits []float32, history []int32, promptLen int) error {
	vocab := len(logits)
	if vocab == 0 || vocab > maxVocab {
		return fmt.Errorf("sampling: vocabulary of %d tokens, want 1 to %d", vocab, maxVocab)
	}
	if promptLen < 0 || promptLen > len(history) {
		return fmt.Errorf("sampling: prompt length %d outside the history of %d tokens",
			promptLen, len(history))
	}
	if cap(s.w) < vocab {
		s.w = make([]float64, vocab)
		s.bucket = make([]uint16, vocab)
		s.qf = make([]uint64, vocab)
		s.eT = make([]float64, vocab)
	}
	s.w = s.w[:vocab]
	s.bktOK, s.massOK, s.sumsOK = false, false, false

	// Copy, check that the raw logits are finite, find the maximum (in locals: the
	// loop is the hottest one of a greedy step).
	w := s.w
	maxW, argmax := float64(logits[0]), int32(0)
	for i, v := range logits {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 { // exponent all ones: NaN or ±Inf
			return &LogitsError{Token: int32(i), Value: float64(v), Stage: "logits"}
		}
		f := float64(v)
		w[i] = f
		if f > maxW {
			maxW, argmax = f, int32(i)
		}
	}
	s.maxW, s.argmax = maxW, argmax
	rawArgmax := argmax

	if err := s.applyPenalties(history, vocab); err != nil {
		return err
	}
	if len(s.chg) == 0 {
		return nil
	}

	// Maximum after penalties (lowest id among equal maxima): only changed tokens
	// moved; if the old maximum was one of them, look again everywhere.
	if _, found := slices.BinarySearch(s.chg, rawArgmax); found {
		s.maxW, s.argmax = s.w[0], 0
		for i, v := range s.w {
			if v > s.maxW {
				s.maxW, s.argmax = v, int32(i)
			}
		}
		return nil
	}
	for _, id := range s.chg {
		if v := s.w[id]; v > s.maxW || (v == s.maxW && id < s.argmax) {
			s.maxW, s.argmax = v, id
		}
	}
	return nil
}

// applyPenalties adds logit_bias, then applies the repetition, presence and frequency
// penalties to the distinct tokens of the window, in the chain's way.
func (s *Sampler) applyPenalties(history []int32, vocab int) error {
	p := s.p
	for _, id := range s.biasIDs {
		if int(id) >= vocab {
			return knobErr("logit_bias",
				fmt.Sprintf("keyed by token ids below the vocabulary size %d", vocab), id)
		}
		s.w[id] += p.LogitBias[id]
	}

	win := history
	if s.window > 0 && s.window < len(history) {
		win = history[len(history)-s.window:]
	}
	active := p.RepetitionPenalty != 1 || p.PresencePenalty != 0 || p.FrequencyPenalty != 0
	s.win = s.win[:0]
	if active && len(win) > 0 {
		s.win = append(s.win[:0], win...)
		slices.Sort(s.win)
		for i := 0; i < len(s.win); {
			id := s.win[i]
			if id < 0 || int(id) >= vocab {
				return fmt.Errorf("sampling: history token %d outside the vocabulary of %d",
					id, vocab)
			}
			n := 1
			for i+n < len(s.win) && s.win[i+n] == id {
				n++
			}
			s.w[id] = s.penalize(s.w[id], n)
			i += n
		}
	}

	// The changed tokens; bias and penalties are finite, but large ones can still
	// overflow a logit.
	s.chg = append(s.chg[:0], s.biasIDs...)
	if active {
		s.chg = append(s.chg, s.win...)
	}
	slices.Sort(s.chg)
	s.chg = slices.Compact(s.chg)
	for _, id := range s.chg {
		if v := s.w[id]; math.IsNaN(v) || math.IsInf(v, 0) {
			return &LogitsError{Token: id, Value: v, Stage: "penalties"}
		}
	}
	return nil
}

// penalize applies the penalties to the logit v of a token seen n times in the window.
func (s *Sampler) penalize(v float64, n int) float64 {
	p := s.p
	if p.RepetitionPenalty != 1 {
		neg := v < 0
		if s.chain == chainLlamaCpp {
			neg = v <= 0 // llama.cpp's test; the result is the same for 0
		}
		if neg {
			v *= p.RepetitionPenalty
		} else {
			v /= p.RepetitionPenalty
		}
	}
	switch s.chain {
	case chainMLXLM:
		// Presence once, then frequency once per occurrence (mlx-lm's processors).
		v -= p.PresencePenalty
		v -= float64(float64(n) * p.FrequencyPenalty)
	case chainLlamaCpp:
		// logit -= count*freq + (count > 0)*present (llama_sampler_penalties_apply).
		v -= float64(float64(n)*p.FrequencyPenalty) + p.PresencePenalty
	}
	return v
}

// needsBuckets reports whether a filter ranks tokens (top_k or top_p).
func (s *Sampler) needsBuckets() bool { return s.p.TopK > 0 || s.p.TopP < 1 }

// needsMass reports whether top_p will need the masses of the whole vocabulary: in
// mlx-lm it comes first; after a top_k of more than directScope tokens too.
func (s *Sampler) needsMass() bool {
	if s.p.TopP >= 1 {
		return false
	}
	return s.chain == chainMLXLM || s.p.TopK == 0 || s.p.TopK > directScope
}

// greedyStep is temperature 0: the argmax of the penalized logits, no filter and no
// randomness (mlx-lm's greedy sampler; transformers with do_sample=False; llama.cpp's
// temperature sampler at temp <= 0 keeps only the maximum).
func (s *Sampler) greedyStep(logits []float32, inspectK int) Step {
	step := Step{Token: s.argmax, Prob: 1, Kept: 1, Greedy: true}
	if inspectK > 0 {
		s.scan(false, true)
		s.inspect(&step, logits, nil, cut{}, inspectK)
	}
	return step
}
