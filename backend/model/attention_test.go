package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttentionLoops checks keyScores and addWeightedRows against float64
// sums, and checks that the assembly loops (where this machine runs them)
// give the bits of the Go loops, for head sizes with and without a remainder
// past a multiple of 8 or 32, and rows at a stride.
func TestAttentionLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, dim := range []int{5, 8, 24, 40, 64, 80, 128} {
		for _, n := range []int{1, 3, 17} {
			t.Run(fmt.Sprintf("dim%d/n%d", dim, n), func(t *testing.T) {
				stride := 3*dim + 8
				q, k, w := vec(dim), vec(n*stride), vec(n)
				const scale = 0.125

				scores := make([]float32, n)
				keyScores(scores, q, k, stride, scale)
				out := vec(dim) // added to: a span after the first starts from partial sums
				start := append([]float32(nil), out...)
				addWeightedRows(out, k, stride, w)

				for i := range n {
					var want float64
					for j := range dim {
						want += float64(q[j]) * float64(k[i*stride+j])
					}
					want *= scale
					if d := math.Abs(float64(scores[i]) - want); d > 1e-5*(1+math.Abs(want)) {
						t.Errorf("score %d = %g, want %g", i, scores[i], want)
					}
				}
				for j := range dim {
					want := float64(start[j])
					for i := range n {
						want += float64(w[i]) * float64(k[i*stride+j])
					}
					if d := math.Abs(float64(out[j]) - want); d > 1e-5*(1+math.Abs(want)) {
						t.Errorf("out[%d] = %g, want %g", j, out[j], want)
					}
				}

				if !useAVX2 {
					return
				}
				useAVX2 = false
				defer func() { useAVX2 = true }()
				goScores := make([]float32, n)
				keyScores(goScores, q, k, stride, scale)
				goOut := append([]float32(nil), start...)
				addWeightedRows(goOut, k, stride, w)
				for i := range n {
					if math.Float32bits(goScores[i]) != math.Float32bits(scores[i]) {
						t.Errorf("score %d: assembly %g, Go %g", i, scores[i], goScores[i])
					}
				}
				for j := range dim {
					if math.Float32bits(goOut[j]) != math.Float32bits(out[j]) {
						t.Errorf("out[%d]: assembly %g, Go %g", j, out[j], goOut[j])
					}
				}
			})
		}
	}
}
