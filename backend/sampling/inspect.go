package sampling

import (
	"math"
	"slices"
)

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

	// Normalizers: penalized logits at temperature 1 and at the temperature, over the
	// whole vocabulary, and the raw logits.
	if !s.sumsOK {
		s.scan(s.massOK, true)
	}
	penSum, tempSum := s.sum1, s.sumT
	penLSE := s.maxW + logDet(penSum)
	rawLSE := s.rawLogSumExp(logits, penSum)

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

	// The chosen token's rank: its place among the candidates, or else counted.
	rank := slices.Index(top, step.Token)
	if rank < 0 {
		rank = s.rankOf(step.Token)
	}
	step.Rank = rank
}

// rawLogSumExp returns logsumexp of the raw logits. Only the tokens bias and penalties
// changed differ from the penalized logits, so it corrects penSum (the penalized sum
// relative to maxW) for those, and sums the raw logits afresh only when the
// correction would cancel badly.
func (s *Sampler) rawLogSumExp(logits []float32, penSum float64) float64 {
	if len(s.chg) == 0 {
		return s.maxW + logDet(penSum)
	}
	ref := s.maxW
	for _, id := range s.chg {
		ref = max(ref, float64(logits[id]))
	}
	base := penSum * expDet(s.maxW-ref)
	sum := base
	for _, id := range s.chg {
		sum += expDet(float64(logits[id])-ref) - expDet(s.w[id]-ref)
	}
	if sum > 1e-6*base {
		return ref + logDet(sum)
	}

	rawMax := math.Inf(-1)
	for _, v := range logits {
		rawMax = max(rawMax, float64(v))
	}
	sum = 0
	for _, v := range logits {
		sum += expDet(float64(v) - rawMax)
	}
	return rawMax + logDet(sum)
}

// rankOf returns how many tokens rank before token t.
func (s *Sampler) rankOf(t int32) int {
	before := cut{s.dist(t), t}
	rank := 0
	for i, v := range s.w {
		if before.keeps(s.maxW-v, int32(i)) {
			rank++
		}
	}
	return rank
}
