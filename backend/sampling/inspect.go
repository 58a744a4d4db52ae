package sampling

import "math"

// inspect fills the step's candidates (the top k tokens by penalized logit) and the
// chosen token's rank. final is the kept set (ignored for a greedy step, stages nil).
func (s *Sampler) inspect(step *Step, logits []float32, stages []stage, final cut, k int) {
	vocab := len(s.w)
	k = min(k, vocab)
	greedy := step.Greedy

	// The top k in rank order: gather the buckets that hold them, sort those only.
	s.buildBuckets(false)
	hi, cum := 0, 0
	for hi < numBuckets-1 && cum+int(s.count[hi]) < k {
		cum += int(s.count[hi])
		hi++
	}
	top := s.sortedRange(0, hi)[:k]

	// Normalizers: raw logits and penalized logits at temperature 1, and the
	// penalized logits at the temperature over the whole vocabulary.
	rawMax := math.Inf(-1)
	for _, v := range logits {
		rawMax = max(rawMax, float64(v))
	}
	rawSum := 0.0
	for _, v := range logits {
		rawSum += expDet(float64(v) - rawMax)
	}
	penSum := s.sumAt(1)
	tempSum := 0.0
	if !greedy {
		tempSum = s.sumAt(s.p.Temperature)
	}
	rawLSE := rawMax + logDet(rawSum)
	penLSE := s.maxW + logDet(penSum)

	step.Candidates = make([]Candidate, len(top))
	for j, t := range top {
		c := Candidate{
			Token:            t,
			Logprob:          float64(logits[t]) - rawLSE,
			PenalizedLogprob: s.w[t] - penLSE,
		}
		d := s.dist(t)
		switch {
		case greedy:
			if t == step.Token {
				c.TempProb, c.Prob = 1, 1
			}
		default:
			e := expDet(-(d * (1 / s.p.Temperature)))
			c.TempProb = e / tempSum
			for _, st := range stages {
				if !st.kept.keeps(d, t) {
					c.RemovedBy = st.name
					break
				}
			}
			if final.keeps(d, t) {
				c.Prob = float64(quantize(e)) / float64(s.keptS)
			}
		}
		step.Candidates[j] = c
	}

	// Rank of the chosen token: how many tokens rank before it.
	dc := s.dist(step.Token)
	rank := 0
	for i := range s.w {
		if cut := (cut{dc, step.Token}); cut.keeps(s.dist(int32(i)), int32(i)) {
			rank++
		}
	}
	step.Rank = rank
}

// sumAt returns the sum over the whole vocabulary of exp(-(max - w)/t), in id order.
func (s *Sampler) sumAt(t float64) float64 {
	if s.massOK && t == s.filterT {
		return s.sumEf
	}
	invT := 1 / t
	sum := 0.0
	for _, v := range s.w {
		sum += expDet(-((s.maxW - v) * invT))
	}
	return sum
}
