package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// The conformance and determinism tests run whichever 4-bit kernel MatMul
// picks on this machine (AVX-512 or AVX2 where the CPU has it). These run
// them again with each narrower kernel forced, so every kernel the machine
// can run is checked; where one cannot run (other CPUs, -tags noasm), its
// runs skip.

// bestKernel is the kernel MatMul picks on this machine.
var bestKernel = asmKernel

// withKernel runs fn with the given 4-bit kernel in place of the best one.
func withKernel(t *testing.T, kernel int, fn func(t *testing.T)) {
	if kernel >= bestKernel {
		t.Skipf("kernel %d is not narrower than this machine's %d", kernel, bestKernel)
	}
	asmKernel = kernel
	defer func() { asmKernel = bestKernel }()
	fn(t)
}

func TestKernelConformancePortable(t *testing.T) {
	withKernel(t, kernelPortable, TestKernelConformance)
}

func TestKernelConformanceAVX2(t *testing.T) { withKernel(t, kernelAVX2, TestKernelConformance) }

func TestMatMulDeterminismPortable(t *testing.T) {
	withKernel(t, kernelPortable, TestMatMulDeterminism)
}

func TestMatMulDeterminismAVX2(t *testing.T) { withKernel(t, kernelAVX2, TestMatMulDeterminism) }

func TestKernelConformanceAVX512(t *testing.T) {
	withKernel(t, kernelAVX512, TestKernelConformance)
}

func TestMatMulDeterminismAVX512(t *testing.T) {
	withKernel(t, kernelAVX512, TestMatMulDeterminism)
}

func TestBlockSizesAVX512(t *testing.T) { withKernel(t, kernelAVX512, TestBlockSizes) }

func TestNonFiniteInputsAVX512(t *testing.T) {
	withKernel(t, kernelAVX512, TestNonFiniteInputs)
}

func TestBlockSizesPortable(t *testing.T) { withKernel(t, kernelPortable, TestBlockSizes) }

func TestBlockSizesAVX2(t *testing.T) { withKernel(t, kernelAVX2, TestBlockSizes) }

func TestNonFiniteInputsPortable(t *testing.T) {
	withKernel(t, kernelPortable, TestNonFiniteInputs)
}

func TestNonFiniteInputsAVX2(t *testing.T) { withKernel(t, kernelAVX2, TestNonFiniteInputs) }

// TestBlockSizes checks, for every batch size up to 10 (one or two passes of
// the assembly kernels' blocks of 5 or 8), rows that fill their 16-row
// blocks of the packed layout or not, every group size and scale dtype,
// that each vector's results have the bits it gets alone.
func TestBlockSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, dtype := range []safetensors.DType{safetensors.BF16, safetensors.F16, safetensors.F32} {
		for _, group := range SupportedGroupSizes {
			m := randomAffine(rng, 37, 1152, 4, group, dtype)
			t.Run(fmt.Sprintf("g%d/%s", group, dtype), func(t *testing.T) {
				const nMax = 10
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

// TestWideRows checks a matrix whose row has more groups than the AVX2 and
// AVX-512 kernels convert at once (it takes the portable kernel there, the
// packed one on VNNI machines) against the reference.
func TestWideRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	m := randomAffine(rng, 3, 32*(asmScaleBlock+4), 4, 32, safetensors.F16)
	if asmFits(m) {
		t.Fatalf("%d groups per row fit the assembly kernels' %d", m.groupsPerRow,
			asmScaleBlock)
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
