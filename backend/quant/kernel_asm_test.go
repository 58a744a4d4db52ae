package quant

import (
	"fmt"
	"math"
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

func TestBlockSizesPortable(t *testing.T) { withPortable(t, TestBlockSizes) }

func TestNonFiniteInputsPortable(t *testing.T) { withPortable(t, TestNonFiniteInputs) }

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

// TestNonFiniteInputs checks that an Inf or NaN in a vector makes every row's
// result NaN or infinite, with either kernel, and leaves the other vectors of
// the batch untouched.
func TestNonFiniteInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	m := randomAffine(rng, 20, 256, 4, 64, safetensors.BF16)
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		x := randomVector(rng, 3*256, 1)
		want := make([]float32, 3*20)
		MatMul(want, m, x, 3)
		x[256+77] = bad
		got := make([]float32, 3*20)
		MatMul(got, m, x, 3)
		for r := range 20 {
			if v := float64(got[20+r]); !math.IsNaN(v) && !math.IsInf(v, 0) {
				t.Errorf("x holding %g: row %d = %g, want NaN or Inf", bad, r, v)
			}
		}
		assertSameBits(t, fmt.Sprintf("vector 0 next to %g", bad), got[:20], want[:20])
		assertSameBits(t, fmt.Sprintf("vector 2 next to %g", bad), got[40:], want[40:])
	}
}

// TestWideRows checks a matrix whose row has more groups than the AVX2
// kernel converts at once (it takes the portable kernel) against the reference.
func TestWideRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	m := randomAffine(rng, 3, 32*(avx2ScaleBlock+4), 4, 32, safetensors.F16)
	if avx2Fits(m) {
		t.Fatalf("%d groups per row fit the AVX2 kernel's %d", m.groupsPerRow, avx2ScaleBlock)
	}
	x := randomVector(rng, 2*m.cols, 1)
	got := make([]float32, 2*m.rows)
	MatMul(got, m, x, 2)
	ref := make([]float64, 2*m.rows)
	MatMulRef(ref, m, x, 2)
	for i := range got {
		if d := math.Abs(float64(got[i]) - ref[i]); d > 1e-3 {
			t.Errorf("element %d = %g, want %g", i, got[i], ref[i])
		}
	}
}
