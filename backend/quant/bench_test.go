package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// benchShapes are the matrices of Llama-3.2-1B-Instruct-4bit: q/o projections,
// k/v projections, gate/up, down, and the tied lm_head over the vocabulary.
var benchShapes = [][2]int{{2048, 2048}, {512, 2048}, {8192, 2048}, {2048, 8192}, {128256, 2048}}

// BenchmarkMatMul reports the weight bytes read per second (MB/s in the
// output) for 4-bit group-64 BF16 matrices at real shapes, for one vector and
// a batch of five.
func BenchmarkMatMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range benchShapes {
		m := randomAffine(rng, s[0], s[1], 4, 64, safetensors.BF16)
		for _, n := range []int{1, 5} {
			b.Run(fmt.Sprintf("4bit-g64/%dx%d/n=%d", s[0], s[1], n), func(b *testing.B) {
				// Two inputs in turn, so every call pays for its pair tables.
				xs := [2][]float32{randomVector(rng, n*s[1], 1), randomVector(rng, n*s[1], 1)}
				dst := make([]float32, n*s[0])
				b.SetBytes(m.WeightBytes())
				i := 0
				for b.Loop() {
					MatMul(dst, m, xs[i%2], n)
					i++
				}
			})
		}
	}
}

// BenchmarkMatMulDense covers the unquantized path at the q_proj shape.
func BenchmarkMatMulDense(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dtype := range []safetensors.DType{safetensors.BF16, safetensors.F32} {
		m := randomDense(rng, 2048, 2048, dtype)
		for _, n := range []int{1, 5} {
			b.Run(fmt.Sprintf("%s/2048x2048/n=%d", dtype, n), func(b *testing.B) {
				x := randomVector(rng, n*2048, 1)
				dst := make([]float32, n*2048)
				b.SetBytes(m.WeightBytes())
				for b.Loop() {
					MatMul(dst, m, x, n)
				}
			})
		}
	}
}
