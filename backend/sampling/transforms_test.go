package sampling

import (
	"math"
	"slices"
	"testing"
)

var negInf = math.Inf(-1)

// equalLogits compares two logit vectors, -Inf included, within tol.
func equalLogits(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.IsInf(want[i], -1) != math.IsInf(got[i], -1) {
			return false
		}
		if !math.IsInf(want[i], -1) && math.Abs(got[i]-want[i]) > tol {
			return false
		}
	}
	return true
}

// lnp converts probabilities to logits.
func lnp(ps ...float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = math.Log(p)
	}
	return out
}

func TestTransformsHandComputed(t *testing.T) {
	l := []float64{2, -1, 0.5, 1}
	cases := []struct {
		name string
		got  []float64
		want []float64
	}{
		{"logit_bias", logitBias(l, map[int32]float64{1: 3, 3: -0.5}), []float64{2, 2, 0.5, 0.5}},
		// Positive logits divided, negative multiplied, once per distinct token.
		{"repetition 2", repetitionPenalty(l, []int32{0, 1, 1}, 2), []float64{1, -2, 0.5, 1}},
		// A penalty below 1 rewards: 2/0.5 = 4, -1*0.5 = -0.5.
		{"repetition 0.5", repetitionPenalty(l, []int32{0, 1}, 0.5), []float64{4, -0.5, 0.5, 1}},
		{"repetition zero logit", repetitionPenalty([]float64{0, 1}, []int32{0}, 3), []float64{0, 1}},
		{"presence", presencePenalty(l, []int32{1, 1, 2}, 0.5), []float64{2, -1.5, 0, 1}},
		{"frequency", frequencyPenalty(l, []int32{1, 1, 2}, 0.5), []float64{2, -2, 0, 1}},
		{"temperature 0.5", temperature(l, 0.5), []float64{4, -2, 1, 2}},
		{"temperature 2", temperature(l, 2), []float64{1, -0.5, 0.25, 0.5}},
		// top_k 2 keeps 2 and 1; with a tie at the k-th, the id rule or all ties.
		{"top_k 2", topK(l, 2, false), []float64{2, negInf, negInf, 1}},
		{"top_k tie by id", topK([]float64{1, 3, 1, 1}, 2, false), []float64{1, 3, negInf, negInf}},
		{"top_k keep ties", topK([]float64{1, 3, 1, 1}, 2, true), []float64{1, 3, 1, 1}},
		{"top_k > vocab", topK(l, 10, false), l},
		{"top_k 0 off", topK(l, 0, false), l},
		// Probabilities 0.4 0.3 0.2 0.1: mass above is 0, 0.4, 0.7, 0.9.
		{"top_p 0.5", topP(lnp(0.4, 0.3, 0.2, 0.1), 0.5), append(lnp(0.4, 0.3), negInf, negInf)},
		{"top_p 0.75", topP(lnp(0.4, 0.3, 0.2, 0.1), 0.75), append(lnp(0.4, 0.3, 0.2), negInf)},
		{"top_p tiny keeps top", topP(lnp(0.4, 0.3, 0.2, 0.1), 1e-9),
			[]float64{math.Log(0.4), negInf, negInf, negInf}},
		{"top_p 1 off", topP(lnp(0.4, 0.3, 0.2, 0.1), 1), lnp(0.4, 0.3, 0.2, 0.1)},
		// min_p 0.5 with top 0.4: threshold 0.2 keeps 0.4, 0.3, 0.2.
		{"min_p 0.5", minP(lnp(0.4, 0.3, 0.2, 0.1), 0.5), append(lnp(0.4, 0.3, 0.2), negInf)},
		{"min_p 0.9", minP(lnp(0.1, 0.4, 0.35), 0.9),
			[]float64{negInf, math.Log(0.4), negInf}},
		{"min_p 0 off", minP(lnp(0.4, 0.6), 0), lnp(0.4, 0.6)},
	}
	for _, c := range cases {
		if !equalLogits(c.got, c.want, 1e-12) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	// softmax and logSoftmax on ln(0.5), ln(0.25), ln(0.25).
	if got := softmax(lnp(0.5, 0.25, 0.25)); !equalLogits(got, []float64{0.5, 0.25, 0.25}, 1e-15) {
		t.Errorf("softmax = %v", got)
	}
	if got := logSoftmax([]float64{1, 1}); !equalLogits(got, []float64{-math.Ln2, -math.Ln2}, 1e-15) {
		t.Errorf("logSoftmax = %v", got)
	}
	// Pure: the input is never modified.
	if !slices.Equal(l, []float64{2, -1, 0.5, 1}) {
		t.Errorf("a transform modified its input: %v", l)
	}
}
