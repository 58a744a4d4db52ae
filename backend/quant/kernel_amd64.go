//go:build amd64 && !noasm

package quant

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernel_amd64.go

// useAVX2 selects the AVX2/FMA kernel for 4-bit matrices; tests clear it to
// run the portable kernel on the same machine. F16C converts F16 scales.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// avx2Block is the number of vectors the assembly multiplies per pass over a
// row: two YMM registers each, out of 16 (see gen_kernel_amd64.go).
const avx2Block = 5

// avx2ScaleBlock is the scales (and as many biases) converted to float32 per
// block of rows, on the worker's stack: 16 KiB for both.
const avx2ScaleBlock = 2048

// avx2Fits reports whether the AVX2 kernel handles a: 4-bit codes and a row's
// scales fitting one conversion block (up to 65536 columns at group size 32).
func avx2Fits(a *Affine) bool {
	return useAVX2 && a.bits == 4 && a.groupsPerRow <= avx2ScaleBlock
}

// affine4Rows computes rows [0, rows) for nb vectors (1..avx2Block) from
// codes ([rows][groups*groupSize/8] words), float32 scales and biases
// ([rows][groups]), the vectors x with their columns permuted as
// permuteColumns does (vector b at x + b*xStride floats), and the per-group
// sums of the unpermuted vectors (vector b at xsum + b*xsumStride). Row r of
// vector b goes to dst[b*dstStride + r]. Implemented in kernel_amd64.s.
//
//go:noescape
func affine4Rows(dst *float32, dstStride int, codes *uint32, scales, biases *float32,
	x *float32, xStride int, xsum *float32, xsumStride int, rows, groups, groupSize, nb int)

// bf16ToF32 converts src to float32 into dst[:len(src)].
//
//go:noescape
func bf16ToF32(dst []float32, src []uint16)

// f16ToF32 converts src to float32 into dst[:len(src)].
//
//go:noescape
func f16ToF32(dst []float32, src []uint16)

// affine4RowsAVX2 computes rows [lo, hi) of a 4-bit matrix for n vectors xp
// ([n][cols], columns permuted by permuteColumns) with the per-group sums
// xsum ([n][groups]), into dst ([n][rows]). Rows go in blocks whose scales
// and biases are first converted to float32; each block's codes (about 64 KiB
// at 2048 columns) stay in L2 while every block of avx2Block vectors passes
// over them.
func affine4RowsAVX2(a *Affine, dst, xp, xsum []float32, n, lo, hi int) {
	var buf [2 * avx2ScaleBlock]float32
	groups, cols, rows := a.groupsPerRow, a.cols, a.rows
	blockRows := avx2ScaleBlock / groups
	for r0 := lo; r0 < hi; r0 += blockRows {
		r1 := min(r0+blockRows, hi)
		scales, biases := a.scalesF32(buf[:avx2ScaleBlock], buf[avx2ScaleBlock:], r0, r1)
		codes := a.weight[r0*a.wordsPerRow : r1*a.wordsPerRow]
		for b0 := 0; b0 < n; b0 += avx2Block {
			nb := min(avx2Block, n-b0)
			// Slicing checks that every element the kernel touches exists.
			d := dst[b0*rows+r0 : (b0+nb-1)*rows+r1]
			x := xp[b0*cols : (b0+nb)*cols]
			s := xsum[b0*groups : (b0+nb)*groups]
			affine4Rows(&d[0], rows, &codes[0], &scales[0], &biases[0], &x[0], cols,
				&s[0], groups, r1-r0, groups, a.groupSize, nb)
		}
	}
}

// scalesF32 returns the scales and biases of rows [lo, hi) as float32
// ([hi-lo][groups] each): views of an F32 checkpoint, or converted into the
// given buffers.
func (a *Affine) scalesF32(sbuf, bbuf []float32, lo, hi int) (scales, biases []float32) {
	i0, i1 := lo*a.groupsPerRow, hi*a.groupsPerRow
	switch a.scaleFormat {
	case scaleF32:
		return a.scales32[i0:i1], a.biases32[i0:i1]
	case scaleBF16:
		scales, biases = sbuf[:i1-i0], bbuf[:i1-i0]
		bf16ToF32(scales, a.scales16[i0:i1])
		bf16ToF32(biases, a.biases16[i0:i1])
	default:
		scales, biases = sbuf[:i1-i0], bbuf[:i1-i0]
		f16ToF32(scales, a.scales16[i0:i1])
		f16ToF32(biases, a.biases16[i0:i1])
	}
	return scales, biases
}

// permuted is the scratch of permuteColumns, guarded by workers.mu.
var permuted []float32

// permuteColumns returns the n vectors of x ([n][cols]) with every 16
// columns reordered as the kernel unpacks codes: 8 bytes of codes hold
// columns 0..15, byte i holding 2i (low nibble) and 2i+1, so the even columns
// come first, then the odd ones, divided by 16 because the kernel multiplies
// them by 16 times their code. Dividing by a power of two is exact (unless x
// is below 2^-122, where a subnormal result may drop low bits). cols is a
// multiple of 32 (a group).
func permuteColumns(x []float32, n, cols int) []float32 {
	permuted = grow(permuted, n*cols)
	p := permuted
	x = x[:n*cols]
	for i := 0; i+16 <= len(x); i += 16 {
		src := (*[16]float32)(x[i:])
		dst := (*[16]float32)(p[i:])
		for k := range 8 {
			dst[k], dst[8+k] = src[2*k], src[2*k+1]*(1.0/16)
		}
	}
	return p
}
