//go:build amd64 && !noasm

package quant

import "golang.org/x/sys/cpu"

// packedMaxBlock is the most vectors one call of the packed kernels takes.
const packedMaxBlock = 5

//go:generate go run gen_kernel_amd64.go

// asmKernel is the 4-bit kernel MatMul uses: the widest this CPU runs. Tests
// set it to run the narrower ones on the same machine. Results differ in the
// last bits between kernels (their lanes sum in different orders) but never
// between calls with the same kernel. F16C converts F16 scales.
var asmKernel = func() int {
	switch {
	case !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C:
		return kernelPortable
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512VNNI:
		return kernelVNNI
	case cpu.X86.HasAVX512F:
		return kernelAVX512
	}
	return kernelAVX2
}()

// The 4-bit kernels.
const (
	kernelPortable = iota // pair tables, kernel_affine4.go
	kernelAVX2            // affine4Rows: 8 lanes, blocks of 5 vectors
	kernelAVX512          // affine4Rows512: 16 lanes, blocks of 8 vectors
	kernelVNNI            // affine4Packed*: integer dot products on packed codes, blocks of 5
)

// asmScaleBlock is the scales (and as many biases) converted to float32 per
// block of rows, on the worker's stack: 16 KiB for both.
const asmScaleBlock = 2048

// asmFits reports whether an assembly kernel handles a: 4-bit codes and a
// row's scales fitting one conversion block (up to 65536 columns at group
// size 32).
func asmFits(a *Affine) bool {
	return asmKernel != kernelPortable && a.bits == 4 && a.groupsPerRow <= asmScaleBlock
}

// packFits reports whether the packed VNNI kernel handles a (4 bits, 16-bit
// scales); NewAffine packs such matrices when this CPU runs that kernel.
func packFits(a *Affine) bool {
	return asmKernel == kernelVNNI && a.bits == 4 && a.scaleFormat != scaleF32
}

// usePacked reports whether MatMul runs a through the packed kernel.
func usePacked(a *Affine) bool { return a.packed != nil && asmKernel == kernelVNNI }

// affine4PackedBF16 computes blocks of 16 rows of a packed matrix (codes,
// scales and biases at the first block) for nb vectors (1..5): the digits
// of vector b of word w at digits + w*digitStride + b*24 bytes, its factor
// and sum of group g at factors + g*factorStride + b*8 bytes (see
// vectorDigits), the 16 rows of block i of vector b to dst[b*dstStride +
// 16*i:]. AVX-512 VNNI; in kernel_amd64.s.
//
//go:noescape
func affine4PackedBF16(dst *float32, dstStride int, codes *uint32, scales, biases *uint16,
	digits *int32, digitStride int, factors *float32, factorStride int,
	blocks, groups, wordsPerGroup, nb int)

// affine4PackedF16 is affine4PackedBF16 for F16 scales and biases.
//
//go:noescape
func affine4PackedF16(dst *float32, dstStride int, codes *uint32, scales, biases *uint16,
	digits *int32, digitStride int, factors *float32, factorStride int,
	blocks, groups, wordsPerGroup, nb int)

// affine4PackedRows computes rows [lo, hi) of a packed 4-bit matrix for n
// vectors given as vectorDigits writes them, into dst ([n][rows]). lo is a
// multiple of 16, and so is hi unless it is the last row. Vectors go in
// blocks of 5 over the chunk's codes, which stay in L2 between blocks.
func affine4PackedRows(a *Affine, dst []float32, digits []int32, factors []float32, n, lo, hi int) {
	p := a.packed
	rows, words, groups := a.rows, a.wordsPerRow, a.groupsPerRow
	wordsPerGroup := a.groupSize / 8
	f16 := a.scaleFormat == scaleF16
	// Direct calls: through a func value the pointers would escape.
	kernel := func(d *float32, stride int, codes *uint32, s, b *uint16, ds *int32,
		fs *float32, blocks, nb int) {
		if f16 {
			affine4PackedF16(d, stride, codes, s, b, ds, n*packedDigits*4, fs, n*8,
				blocks, groups, wordsPerGroup, nb)
		} else {
			affine4PackedBF16(d, stride, codes, s, b, ds, n*packedDigits*4, fs, n*8,
				blocks, groups, wordsPerGroup, nb)
		}
	}
	blk := lo / packRows
	full := (hi - lo) / packRows
	tail := hi - lo - full*packRows
	var spill [packRows * packedMaxBlock]float32
	for b0 := 0; b0 < n; b0 += packedMaxBlock {
		nb := min(packedMaxBlock, n-b0)
		// Slicing checks what the kernel reads and writes.
		ds, fs := digits[b0*packedDigits:], factors[b0*2:]
		_ = digits[((words-1)*n+b0+nb)*packedDigits-1]
		_ = factors[((groups-1)*n+b0+nb)*2-1]
		if full > 0 {
			d := dst[b0*rows+lo : (b0+nb-1)*rows+lo+full*packRows]
			codes := p.codes[blk*words*packRows : (blk+full)*words*packRows]
			s := p.scales[blk*groups*packRows : (blk+full)*groups*packRows]
			b := p.biases[blk*groups*packRows : (blk+full)*groups*packRows]
			kernel(&d[0], rows, &codes[0], &s[0], &b[0], &ds[0], &fs[0], full, nb)
		}
		if tail > 0 {
			// The last block's lanes past the matrix go to a spill buffer.
			t := blk + full
			codes := p.codes[t*words*packRows : (t+1)*words*packRows]
			s := p.scales[t*groups*packRows : (t+1)*groups*packRows]
			b := p.biases[t*groups*packRows : (t+1)*groups*packRows]
			kernel(&spill[0], packRows, &codes[0], &s[0], &b[0], &ds[0], &fs[0], 1, nb)
			for v := range nb {
				r0 := lo + full*packRows
				copy(dst[(b0+v)*rows+r0:(b0+v)*rows+hi], spill[v*packRows:v*packRows+tail])
			}
		}
	}
}

// affine4Rows computes rows [0, rows) for nb vectors (1..5) from codes
// ([rows][groups*groupSize/8] words), float32 scales and biases
// ([rows][groups]), the vectors x with their columns permuted as
// permuteColumns does (vector b at x + b*xStride floats), and the per-group
// sums of the unpermuted vectors (vector b at xsum + b*xsumStride). Row r of
// vector b goes to dst[b*dstStride + r]. AVX2 and FMA; in kernel_amd64.s.
//
//go:noescape
func affine4Rows(dst *float32, dstStride int, codes *uint32, scales, biases *float32,
	x *float32, xStride int, xsum *float32, xsumStride int, rows, groups, groupSize, nb int)

// affine4Rows512 is affine4Rows in AVX-512 for nb vectors (1..8).
//
//go:noescape
func affine4Rows512(dst *float32, dstStride int, codes *uint32, scales, biases *float32,
	x *float32, xStride int, xsum *float32, xsumStride int, rows, groups, groupSize, nb int)

// bf16ToF32 converts src to float32 into dst[:len(src)].
//
//go:noescape
func bf16ToF32(dst []float32, src []uint16)

// f16ToF32 converts src to float32 into dst[:len(src)].
//
//go:noescape
func f16ToF32(dst []float32, src []uint16)

// affine4RowsAsm computes rows [lo, hi) of a 4-bit matrix for n vectors xp
// ([n][cols], columns permuted by permuteColumns) with the per-group sums
// xsum ([n][groups]), into dst ([n][rows]). Rows go in blocks whose scales
// and biases are first converted to float32; each block's codes (about 64 KiB
// at 2048 columns) stay in L2 while every block of vectors passes over them.
func affine4RowsAsm(a *Affine, dst, xp, xsum []float32, n, lo, hi int) {
	var buf [2 * asmScaleBlock]float32
	block := 5
	if asmKernel >= kernelAVX512 { // VNNI machines too, for matrices it does not pack
		block = 8
	}
	groups, cols, rows := a.groupsPerRow, a.cols, a.rows
	blockRows := asmScaleBlock / groups
	for r0 := lo; r0 < hi; r0 += blockRows {
		r1 := min(r0+blockRows, hi)
		scales, biases := a.scalesF32(buf[:asmScaleBlock], buf[asmScaleBlock:], r0, r1)
		codes := a.weight[r0*a.wordsPerRow : r1*a.wordsPerRow]
		for b0 := 0; b0 < n; b0 += block {
			nb := min(block, n-b0)
			// Slicing checks that every element the kernel touches exists.
			d := dst[b0*rows+r0 : (b0+nb-1)*rows+r1]
			x := xp[b0*cols : (b0+nb)*cols]
			s := xsum[b0*groups : (b0+nb)*groups]
			// Direct calls: through a func value the pointers would escape.
			if block == 8 {
				affine4Rows512(&d[0], rows, &codes[0], &scales[0], &biases[0], &x[0], cols,
					&s[0], groups, r1-r0, groups, a.groupSize, nb)
			} else {
				affine4Rows(&d[0], rows, &codes[0], &scales[0], &biases[0], &x[0], cols,
					&s[0], groups, r1-r0, groups, a.groupSize, nb)
			}
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

// permuteColumns returns the n vectors of x ([n][cols]) with their columns
// reordered as the kernel unpacks codes, in runs of two per lane (16 columns
// for AVX2, 32 for AVX-512): lane i takes byte i of the codes, whose low
// nibble is column 2i and high nibble column 2i+1, so each run puts its even
// columns first, then its odd ones divided by 16 because the kernel
// multiplies them by 16 times their code. Dividing by a power of two is exact
// (unless x is below 2^-122, where a subnormal result may drop low bits).
// cols is a multiple of 32 (a group).
func permuteColumns(x []float32, n, cols int) []float32 {
	half := 8
	if asmKernel >= kernelAVX512 { // VNNI machines too, for matrices it does not pack
		half = 16
	}
	permuted = grow(permuted, n*cols)
	p := permuted
	x = x[:n*cols]
	for i := 0; i+2*half <= len(x); i += 2 * half {
		src, dst := x[i:i+2*half], p[i:i+2*half]
		for k := range half {
			dst[k], dst[half+k] = src[2*k], src[2*k+1]*(1.0/16)
		}
	}
	return p
}
