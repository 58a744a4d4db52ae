package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// The conformance and determinism tests run whichever 4-bit kernel MatMul
// picks on this machine (the AVX2 one where the CPU has it). These run them
// again with the portable kernel forced, so both are checked everywhere the
// assembly exists; under -tags noasm they would repeat the same runs and skip.

// withPortable runs fn with the AVX2 kernel switched off.
func withPortable(t *testing.T, fn func(t *testing.T)) {
	if !useAVX2 {
		t.Skip("the portable kernel is the only one in this build")
	}
	useAVX2 = false
	defer func() { useAVX2 = true }()
	fn(t)
}

func TestKernelConformancePortable(t *testing.T) { withPortable(t, TestKernelConformance) }

func TestMatMulDeterminismPortable(t *testing.T) { withPortable(t, TestMatMulDeterminism) }

// TestBlockSizes checks, for every batch size up to 8 (one or two passes of
// the AVX2 kernel's blocks), every group size and scale dtype, that each
// vector's results have the bits it gets alone.
func TestBlockSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dtype := range []safetensors.DType{safetensors.BF16, safetensors.F16, safetensors.F32} {
		for _, group := range SupportedGroupSizes {
			m := randomAffine(rng, 37, 1152, 4, group, dtype)
			t.Run(fmt.Sprintf("g%d/%s", group, dtype), func(t *testing.T) {
				const nMax = 8
				x := randomVector(rng, nMax*m.cols, 1)
				alone := make([]float32, nMax*m.rows)
				for b := range nMax {
					MatMul(alone[b*m.rows:(b+1)*m.rows], m, x[b*m.cols:(b+1)*m.cols], 1)
				}
				for n := 2; n <= nMax; n++ {
					got := make([]float32, n*m.rows)
					MatMul(got, m, x, n)
					assertSameBits(t, fmt.Sprintf("n=%d", n), got, alone[:n*m.rows])
				}
			})
		}
	}
}
