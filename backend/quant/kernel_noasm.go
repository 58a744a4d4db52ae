//go:build !amd64 || noasm

package quant

// useAVX2 is false without the assembly kernels (other architectures, or the
// noasm build tag): 4-bit matrices take the portable pair-table kernel.
var useAVX2 = false

// avx2Fits reports whether the AVX2 kernel handles a: never in this build.
func avx2Fits(a *Affine) bool { return false }

// affine4RowsAVX2 is never called in this build.
func affine4RowsAVX2(a *Affine, dst, xp, xsum []float32, n, lo, hi int) {
	panic("quant: no AVX2 kernel in this build")
}

// permuteColumns is never called in this build.
func permuteColumns(x []float32, n, cols int) []float32 {
	panic("quant: no AVX2 kernel in this build")
}

// avx2ScaleBlock mirrors kernel_amd64.go, for the tests.
const avx2ScaleBlock = 2048
