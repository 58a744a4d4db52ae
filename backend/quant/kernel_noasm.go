//go:build !amd64 || noasm

package quant

// The 4-bit kernels; only the portable one exists in this build (other
// architectures, or the noasm build tag).
const (
	kernelPortable = iota
	kernelAVX2
	kernelAVX512
	kernelVNNI
)

// asmKernel is the 4-bit kernel MatMul uses: always the portable pair-table
// kernel in this build.
var asmKernel = kernelPortable

// asmScaleBlock mirrors kernel_amd64.go, for the tests.
const asmScaleBlock = 2048

// asmFits reports whether an assembly kernel handles a: never in this build.
func asmFits(a *Affine) bool { return false }

// affine4RowsAsm is never called in this build.
func affine4RowsAsm(a *Affine, dst, xp, xsum []float32, n, lo, hi int) {
	panic("quant: no assembly kernel in this build")
}

// permuteColumns is never called in this build.
func permuteColumns(x []float32, n, cols int) []float32 {
	panic("quant: no assembly kernel in this build")
}

// packFits reports whether NewAffine packs a: never in this build.
func packFits(a *Affine) bool { return false }

// usePacked reports whether MatMul runs a through the packed kernel: never
// in this build.
func usePacked(a *Affine) bool { return false }

// affine4PackedRows is never called in this build.
func affine4PackedRows(a *Affine, dst []float32, digits []int32, factors []float32, n, lo, hi int) {
	panic("quant: no assembly kernel in this build")
}
