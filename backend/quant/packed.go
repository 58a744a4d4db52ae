package quant

import (
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// The packed layout and the integer digits of x serve the AVX-512 VNNI
// kernel (affine4Packed*), which multiplies 4-bit codes by x as integers:
//
//   - The codes of 16 consecutive rows are interleaved word by word, so one
//     64-byte load holds the same 8 columns of 16 rows, one row per lane, and
//     a row's results come out in lanes with no horizontal sums.
//   - Each group of 64 (or 32, 128) columns of a vector is written as
//     x_j = M_j * 2^-k with integers |M_j| <= 2^22 and one exponent k per
//     group: the largest |x_j| keeps 23 bits, as many as float32 gives it.
//     M_j is split into three signed bytes, M = d0*65536 + d1*256 + d2, so
//     VPDPBUSD (unsigned code bytes times signed digit bytes, four products
//     per lane) sums codes times digits exactly in int32.
//
// Integer sums are exact, so the result of a (row, vector) does not depend on
// how many vectors share the pass; the float steps after them are the same
// instructions for every vector.

// packRows is the rows interleaved in one block of the packed layout.
const packRows = 16

// packedDigits is the int32 words of digits per word of codes per vector:
// three digits, each for the even and for the odd columns of the word.
const packedDigits = 6

// packed4 is a 4-bit matrix rearranged for the packed kernels. Rows past the
// matrix in the last block have zero codes, scales and biases.
//
// Its memory is mapped outside the Go heap (or on it where mapping is not
// available): a resident model's 0.7 GB there would let the collector wait
// for as much garbage again before it runs. The matrix's Release frees it,
// and so does a cleanup once the matrix is unreachable.
type packed4 struct {
	codes   []uint32 // [blocks][wordsPerRow][16]
	scales  []uint16 // [blocks][groups][16], the dtype of the checkpoint's
	biases  []uint16 // [blocks][groups][16]
	blocks  int
	release func() // unmaps codes, scales and biases; safe to call again
}

// pack rearranges a 4-bit matrix with 16-bit scales into the packed layout.
func pack(a *Affine) *packed4 {
	blocks := (a.rows + packRows - 1) / packRows
	words, groups := a.wordsPerRow, a.groupsPerRow
	nc, ns := blocks*words*packRows, blocks*groups*packRows
	buf, release := allocBuffer((4*nc + 4*ns + 7) / 8) // zeroed
	base := unsafe.Pointer(unsafe.SliceData(buf))
	p := &packed4{
		codes:   unsafe.Slice((*uint32)(base), nc),
		scales:  unsafe.Slice((*uint16)(unsafe.Add(base, 4*nc)), ns),
		biases:  unsafe.Slice((*uint16)(unsafe.Add(base, 4*nc+2*ns)), ns),
		blocks:  blocks,
		release: sync.OnceFunc(release),
	}
	// Blocks are independent: split them over the cores, as loading a model
	// packs about 0.7 GB.
	parts := min(runtime.GOMAXPROCS(0), blocks/64+1)
	var wg sync.WaitGroup
	per := (blocks + parts - 1) / parts
	for b0 := 0; b0 < blocks; b0 += per {
		wg.Go(func() { packRange(a, p, b0*packRows, min((b0+per)*packRows, a.rows)) })
	}
	wg.Wait()
	return p
}

// packRange writes rows [lo, hi) of a into the packed layout p.
func packRange(a *Affine, p *packed4, lo, hi int) {
	words, groups := a.wordsPerRow, a.groupsPerRow
	for r := lo; r < hi; r++ {
		blk, lane := r/packRows, r%packRows
		src := a.weight[r*words : (r+1)*words]
		dst := p.codes[blk*words*packRows:]
		for w, v := range src {
			dst[w*packRows+lane] = v
		}
		s16 := a.scales16[r*groups : (r+1)*groups]
		b16 := a.biases16[r*groups : (r+1)*groups]
		ds := p.scales[blk*groups*packRows:]
		db := p.biases[blk*groups*packRows:]
		for g := range groups {
			ds[g*packRows+lane] = s16[g]
			db[g*packRows+lane] = b16[g]
		}
	}
}

// vectorDigits writes the digits of groups [g0, g1) of vector b of the n
// vectors x ([n][cols]) for the packed kernels: digits[(w*n+b)*6 + 2*d + odd] holds digit d of the 4 even (odd=0)
// or odd (odd=1) columns of word w of vector b, one signed byte per column,
// lowest column first; factors[(g*n+b)*2] is the power of two 2^-k of group
// g of vector b and factors[(g*n+b)*2+1] its sum xsum[b*groups+g].
//
// A group whose largest magnitude is not finite gets the factor NaN (and
// zero digits), so every row of that vector comes out NaN, as a float dot
// product would make it NaN or infinite. Magnitudes below 2^-100 are taken
// relative to 2^-100, so values under 2^-123 count as zero.
func vectorDigits(digits []int32, factors, x, xsum []float32, n, cols, groupSize, b, g0, g1 int) {
	groups := cols / groupSize
	xb := x[b*cols : (b+1)*cols]
	for g := g0; g < g1; g++ {
		xg := xb[g*groupSize : (g+1)*groupSize]
		f := factors[(g*n+b)*2:]
		f[1] = xsum[b*groups+g]
		// The largest magnitude, compared as bits: for finite values and
		// infinities they order as the values do, and NaNs come above.
		var m0, m1, m2, m3 uint32
		for i := 0; i+4 <= len(xg); i += 4 {
			v := xg[i : i+4 : i+4]
			m0 = max(m0, math.Float32bits(v[0])&^(1<<31))
			m1 = max(m1, math.Float32bits(v[1])&^(1<<31))
			m2 = max(m2, math.Float32bits(v[2])&^(1<<31))
			m3 = max(m3, math.Float32bits(v[3])&^(1<<31))
		}
		mbits := max(m0, m1, m2, m3)
		m := math.Float32frombits(mbits)
		if mbits >= 0x7f800000 { // Inf or NaN
			f[0] = float32(math.NaN())
			for w := g * groupSize / 8; w < (g+1)*groupSize/8; w++ {
				clear(digits[(w*n+b)*packedDigits : (w*n+b+1)*packedDigits])
			}
			continue
		}
		// m < 2^e, so |x|*2^(22-e) < 2^22 and rounds to at most 2^22.
		_, e := math.Frexp(float64(m))
		e = max(e, -100)
		f[0] = float32(math.Ldexp(1, e-22))
		scale := float32(math.Ldexp(1, 22-e))
		for w := range groupSize / 8 {
			col := g*groupSize + w*8
			xw := xb[col : col+8 : col+8]
			var e0, e1, e2, o0, o1, o2 uint32 // digits of the even and odd columns
			for j := 0; j < 8; j += 2 {
				shift := uint(4 * j)
				d0, d1, d2 := digitBytes(xw[j] * scale)
				e0, e1, e2 = e0|d0<<shift, e1|d1<<shift, e2|d2<<shift
				d0, d1, d2 = digitBytes(xw[j+1] * scale)
				o0, o1, o2 = o0|d0<<shift, o1|d1<<shift, o2|d2<<shift
			}
			word := digits[((col/8)*n+b)*packedDigits:][:packedDigits:packedDigits]
			word[0], word[1] = int32(e0), int32(o0)
			word[2], word[3] = int32(e1), int32(o1)
			word[4], word[5] = int32(e2), int32(o2)
		}
	}
}

// digitBytes rounds v (|v| <= 2^22) to an integer M and returns the bytes of
// its digits d0, d1, d2 in [-128, 127], M = d0*65536 + d1*256 + d2. Adding
// 1.5*2^23 rounds v (the ulp is 1 from 2^23 to 2^24), and the sum's low bits
// hold M + 2^22; each digit is the low byte of what is left, as a signed byte.
func digitBytes(v float32) (d0, d1, d2 uint32) {
	m := int32(math.Float32bits(v+1.5*(1<<23))) - 0x4b400000
	low := int32(int8(m))
	m = (m - low) >> 8
	mid := int32(int8(m))
	return uint32(uint8((m - mid) >> 8)), uint32(uint8(mid)), uint32(uint8(low))
}
