package quant

import (
	"math"
	"unsafe"
)

// The 4-bit kernel works on bytes: a byte of a packed word holds the codes of
// two neighbouring columns (2k in the low nibble, 2k+1 in the high one), and
// its contribution to a group's dot product is the pair sum lo*x[2k] + hi*x[2k+1].
// Every pair sum of a block of up to 8 vectors is tabulated once per call, and
// a group's dot product is then one table load and one add per byte.
//
// The tables hold integers: in each group of each vector, x is scaled by a
// power of two 2^S chosen from the group's largest |x|, and entry (k, byte) is
// round((lo*x[2k] + hi*x[2k+1]) * 2^S). Integer sums are exact, so a
// group's dot product, sum/2^S, does not depend on the order of the adds; and
// two vectors fit in one 64-bit entry (32 bits each, biased to be non-negative
// so that the low half never carries into the high one), so a batch adds two
// vectors with one instruction. An entry keeps 25 bits (group size 64)
// relative to the group's largest pair sum, one more than a float32 would.
// Non-finite inputs make the group's result NaN, as float arithmetic would.
//
// Longer batches (prefill) run block after block, reading the weights once per
// block of 8 vectors; that costs far less than the arithmetic.

// fixedTables are the integer pair tables of one block of vectors.
type fixedTables struct {
	n, cols, groupSize int
	pairs              []uint64  // [n/2][cols/2][256]: vector 2u in the low half, 2u+1 in the high half
	single             []uint32  // [cols/2][256]: the last vector when n is odd
	inv                []float64 // [n][groups]: 2^-S of each vector's group, NaN if its x is not finite
}

// tableShape returns log2 of the pairs per group and the bias of an entry.
// With P = 2^logP pairs per group, entries lie in [-2^(30-logP), 2^(30-logP)]
// and are stored plus bias = 2^(30-logP), so a group's P biased entries sum
// to at most 2^31 and the low half of a pair entry never carries.
func tableShape(groupSize int) (logP int, bias uint32) {
	logP = 0
	for 1<<logP < groupSize/2 {
		logP++
	}
	return logP, 1 << (30 - logP)
}

// reset sizes the tables for n vectors of cols columns.
func (ft *fixedTables) reset(n, cols, groupSize int) {
	ft.n, ft.cols, ft.groupSize = n, cols, groupSize
	entries := cols / 2 * 256
	ft.pairs = grow(ft.pairs, n/2*entries)
	ft.single = grow(ft.single, n%2*entries)
	ft.inv = grow(ft.inv, n*cols/groupSize)
}

// grow returns s resized to n elements, reallocating only to grow.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// units is the number of table units: pairs of vectors, plus the lone last one.
func (ft *fixedTables) units() int { return ft.n/2 + ft.n%2 }

// build fills the tables of unit u (vectors 2u and 2u+1, or the lone last
// vector) for the groups [g0, g1), from x ([n][cols]).
func (ft *fixedTables) build(x []float32, u, g0, g1 int) {
	logP, bias := tableShape(ft.groupSize)
	groups := ft.cols / ft.groupSize
	pairsPerGroup := ft.groupSize / 2
	v0 := 2 * u
	lone := v0 == ft.n-1
	var low, high [2][16]float64
	for g := g0; g < g1; g++ {
		// The scale of each vector's group.
		var pow2 [2]float64
		for i := range 2 - b2i(lone) {
			v := v0 + i
			pow2[i], ft.inv[v*groups+g] = groupScale(x[v*ft.cols+g*ft.groupSize:][:ft.groupSize], logP)
		}

		for k := g * pairsPerGroup; k < (g+1)*pairsPerGroup; k++ {
			for i := range 2 - b2i(lone) {
				xv := x[(v0+i)*ft.cols:]
				multiples(&low[i], float64(xv[2*k])*pow2[i])
				multiples(&high[i], float64(xv[2*k+1])*pow2[i])
			}
			if lone {
				roundSums((*[256]uint32)(ft.single[k*256:]), &low[0], &high[0], bias)
				continue
			}
			roundSumsPair((*[256]uint64)(ft.pairs[(u*ft.cols/2+k)*256:]), &low, &high, bias)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// groupScale returns 2^S and 2^-S for one vector's group: S is the largest
// integer with 15*max(|x[2k]|+|x[2k+1]|)*2^S < 2^(30-logP), so an entry keeps
// 30-logP bits (25 at group size 64, one more than float32) relative to the
// group's largest pair sum. A group of zeros gets S = 0; a group holding Inf
// or NaN gets 2^S = 0 (entries 0) and a NaN inverse, so its results are NaN.
func groupScale(x []float32, logP int) (pow2, inv float64) {
	var m float64
	for k := 0; k+1 < len(x); k += 2 {
		m = max(m, math.Abs(float64(x[k]))+math.Abs(float64(x[k+1])))
	}
	m *= 15
	switch {
	case m == 0:
		return 1, 1
	case math.IsInf(m, 0) || math.IsNaN(m):
		return 0, math.NaN()
	}
	_, e := math.Frexp(m) // m < 2^e
	s := 30 - logP - e
	return math.Ldexp(1, s), math.Ldexp(1, -s)
}

// multiples sets r[q] = q*a, exactly: q has 4 bits and a the 24 of a float32.
func multiples(r *[16]float64, a float64) {
	for q := range r {
		r[q] = float64(q) * a
	}
}

// roundMagic is 1.5*2^52: adding it to a float64 of magnitude below 2^51
// rounds the value to an integer (ties to even), which then sits in the low
// bits of the sum's encoding, in two's complement.
const roundMagic = 1.5 * (1 << 52)

// roundSums sets t[hi<<4|lo] to bias plus low[lo]+high[hi] rounded to the
// nearest integer; the sums are below 2^(30-logP) in magnitude, so the biased
// entries are non-negative.
func roundSums(t *[256]uint32, low, high *[16]float64, bias uint32) {
	magic := roundMagic + float64(bias)
	for hi, h := range high {
		row := (*[16]uint32)(t[hi*16:])
		for lo, l := range low {
			row[lo] = uint32(math.Float64bits(float64(l+h) + magic))
		}
	}
}

// roundSumsPair is roundSums for two vectors, packed: the first in the low
// half of each entry, the second in the high half.
func roundSumsPair(t *[256]uint64, low, high *[2][16]float64, bias uint32) {
	magic := roundMagic + float64(bias)
	for hi := range 16 {
		h0, h1 := high[0][hi], high[1][hi]
		row := (*[16]uint64)(t[hi*16:])
		for lo := range 16 {
			e0 := uint32(math.Float64bits(float64(low[0][lo]+h0) + magic))
			e1 := uint32(math.Float64bits(float64(low[1][lo]+h1) + magic))
			row[lo] = uint64(e0) | uint64(e1)<<32
		}
	}
}

// groupDot converts a group's summed biased entries to its dot product.
func groupDot(sum uint32, pairsTimesBias int64, inv float64) float32 {
	return float32(float64(int64(sum)-pairsTimesBias) * inv)
}

// affine4TableRows computes rows [lo, hi) of a 4-bit matrix for the vectors
// of ft.
//
// The loops run group, table unit, row: one unit's tables for one group
// (32 KiB for a lone vector, 64 KiB for a pair, at group size 64) stay in L1
// or L2 while every row of the chunk looks them up. The chunk's codes are first
// streamed into cache, and its scales and biases converted to float32
// group-major in the worker's scratch ([groups][rows] each), so that the walk
// over rows finds them in cache. Each (row, vector) adds its groups in column
// order.
func affine4TableRows(a *Affine, dst []float32, ft *fixedTables, xsum []float32, lo, hi int,
	s *workerScratch) {
	groupSize, groups, rows := a.groupSize, a.groupsPerRow, a.rows
	wordsPerGroup := groupSize / 8
	chunk := hi - lo
	logP, bias := tableShape(groupSize)
	pb := int64(bias) << logP

	// Pull the chunk's codes (contiguous, up to 1.25 MiB) into cache in
	// one sequential pass, which the hardware prefetchers stream at full
	// bandwidth; the group loop below then walks them with a stride of a
	// row and would otherwise wait on a cache miss per row and group pair.
	s.touch(a.weight[lo*a.wordsPerRow : hi*a.wordsPerRow])

	// Scratch: scales and biases of the chunk, group-major.
	buf := s.floats(2 * chunk * groups)
	scales, biases := buf[:chunk*groups], buf[chunk*groups:]
	a.scalesGroupMajor(scales, biases, lo, hi)

	for b := range ft.n {
		clear(dst[b*rows+lo : b*rows+hi])
	}
	entries := a.cols / 2 * 256
	for g := range groups {
		gScales, gBiases := scales[g*chunk:(g+1)*chunk], biases[g*chunk:(g+1)*chunk]
		codes := a.weight[lo*a.wordsPerRow+g*wordsPerGroup:]
		first := g * groupSize * 128 // the group's first table entry
		for u := range ft.units() {
			v := 2 * u
			out0 := dst[v*rows+lo : v*rows+hi]
			xs0, inv0 := xsum[v*groups+g], ft.inv[v*groups+g]
			if v == ft.n-1 {
				t := ft.single[first : first+groupSize*128]
				if groupSize == 64 && littleEndian {
					addGroup64(out0, gScales, gBiases, xs0, inv0, pb, codes, a.wordsPerRow,
						(*[8192]uint32)(t))
					continue
				}
				for i := range out0 {
					sum := sumEntries(codes[i*a.wordsPerRow:][:wordsPerGroup], t)
					d := groupDot(uint32(sum), pb, inv0)
					out0[i] += float32(gScales[i]*d) + float32(gBiases[i]*xs0)
				}
				continue
			}
			out1 := dst[(v+1)*rows+lo : (v+1)*rows+hi]
			xs1, inv1 := xsum[(v+1)*groups+g], ft.inv[(v+1)*groups+g]
			t := ft.pairs[u*entries+first : u*entries+first+groupSize*128]
			if groupSize == 64 && littleEndian {
				addGroup64Pair(out0, out1, gScales, gBiases, xs0, xs1, inv0, inv1, pb, codes,
					a.wordsPerRow, (*[8192]uint64)(t))
				continue
			}
			for i := range out0 {
				sum := sumEntries(codes[i*a.wordsPerRow:][:wordsPerGroup], t)
				d0 := groupDot(uint32(sum), pb, inv0)
				d1 := groupDot(uint32(sum>>32), pb, inv1)
				out0[i] += float32(gScales[i]*d0) + float32(gBiases[i]*xs0)
				out1[i] += float32(gScales[i]*d1) + float32(gBiases[i]*xs1)
			}
		}
	}
}

// sumEntries adds the table entries of one group's codes (words), for any
// group size and byte order: byte j of word w is the pair 4w+j.
func sumEntries[T uint32 | uint64](words []uint32, t []T) T {
	var sum T
	for w, word := range words {
		for j := range 4 {
			sum += t[(4*w+j)*256+int(word>>(8*j)&255)]
		}
	}
	return sum
}

// addGroup64 adds one group of 64 columns of one vector to len(out) rows:
// out[i] += scales[i]*dot + biases[i]*xs, row i's codes at codes[i*stride],
// the 32 table lookups unrolled and inline (a Go call saves every register,
// which would cost more than the lookups).
func addGroup64(out, scales, biases []float32, xs float32, inv float64, pb int64,
	codes []uint32, stride int, t *[8192]uint32) {
	if len(out) == 0 {
		return
	}
	_ = codes[(len(out)-1)*stride+7]
	scales, biases = scales[:len(out)], biases[:len(out)]
	p := unsafe.Pointer(&codes[0])
	step := uintptr(4 * stride)
	for i := range out {
		// Advance before use, never past the last row: a pointer beyond the
		// codes would break unsafe.Pointer's rules (checkptr catches it).
		if i > 0 {
			p = unsafe.Add(p, step)
		}
		b := (*[32]byte)(p)
		var s0, s1, s2, s3 uint32
		s0 += t[b[0]]
		s1 += t[256+int(b[1])]
		s2 += t[512+int(b[2])]
		s3 += t[768+int(b[3])]
		s0 += t[1024+int(b[4])]
		s1 += t[1280+int(b[5])]
		s2 += t[1536+int(b[6])]
		s3 += t[1792+int(b[7])]
		s0 += t[2048+int(b[8])]
		s1 += t[2304+int(b[9])]
		s2 += t[2560+int(b[10])]
		s3 += t[2816+int(b[11])]
		s0 += t[3072+int(b[12])]
		s1 += t[3328+int(b[13])]
		s2 += t[3584+int(b[14])]
		s3 += t[3840+int(b[15])]
		s0 += t[4096+int(b[16])]
		s1 += t[4352+int(b[17])]
		s2 += t[4608+int(b[18])]
		s3 += t[4864+int(b[19])]
		s0 += t[5120+int(b[20])]
		s1 += t[5376+int(b[21])]
		s2 += t[5632+int(b[22])]
		s3 += t[5888+int(b[23])]
		s0 += t[6144+int(b[24])]
		s1 += t[6400+int(b[25])]
		s2 += t[6656+int(b[26])]
		s3 += t[6912+int(b[27])]
		s0 += t[7168+int(b[28])]
		s1 += t[7424+int(b[29])]
		s2 += t[7680+int(b[30])]
		s3 += t[7936+int(b[31])]
		d := groupDot(s0+s1+s2+s3, pb, inv)
		out[i] += float32(scales[i]*d) + float32(biases[i]*xs)
	}
}

// addGroup64Pair is addGroup64 for two vectors at once, from pair tables.
func addGroup64Pair(out0, out1, scales, biases []float32, xs0, xs1 float32, inv0, inv1 float64,
	pb int64, codes []uint32, stride int, t *[8192]uint64) {
	if len(out0) == 0 {
		return
	}
	_ = codes[(len(out0)-1)*stride+7]
	out1 = out1[:len(out0)]
	scales, biases = scales[:len(out0)], biases[:len(out0)]
	p := unsafe.Pointer(&codes[0])
	step := uintptr(4 * stride)
	for i := range out0 {
		// Advance before use, never past the last row: a pointer beyond the
		// codes would break unsafe.Pointer's rules (checkptr catches it).
		if i > 0 {
			p = unsafe.Add(p, step)
		}
		b := (*[32]byte)(p)
		var s0, s1, s2, s3 uint64
		s0 += t[b[0]]
		s1 += t[256+int(b[1])]
		s2 += t[512+int(b[2])]
		s3 += t[768+int(b[3])]
		s0 += t[1024+int(b[4])]
		s1 += t[1280+int(b[5])]
		s2 += t[1536+int(b[6])]
		s3 += t[1792+int(b[7])]
		s0 += t[2048+int(b[8])]
		s1 += t[2304+int(b[9])]
		s2 += t[2560+int(b[10])]
		s3 += t[2816+int(b[11])]
		s0 += t[3072+int(b[12])]
		s1 += t[3328+int(b[13])]
		s2 += t[3584+int(b[14])]
		s3 += t[3840+int(b[15])]
		s0 += t[4096+int(b[16])]
		s1 += t[4352+int(b[17])]
		s2 += t[4608+int(b[18])]
		s3 += t[4864+int(b[19])]
		s0 += t[5120+int(b[20])]
		s1 += t[5376+int(b[21])]
		s2 += t[5632+int(b[22])]
		s3 += t[5888+int(b[23])]
		s0 += t[6144+int(b[24])]
		s1 += t[6400+int(b[25])]
		s2 += t[6656+int(b[26])]
		s3 += t[6912+int(b[27])]
		s0 += t[7168+int(b[28])]
		s1 += t[7424+int(b[29])]
		s2 += t[7680+int(b[30])]
		s3 += t[7936+int(b[31])]
		sum := s0 + s1 + s2 + s3
		d0 := groupDot(uint32(sum), pb, inv0)
		d1 := groupDot(uint32(sum>>32), pb, inv1)
		out0[i] += float32(scales[i]*d0) + float32(biases[i]*xs0)
		out1[i] += float32(scales[i]*d1) + float32(biases[i]*xs1)
	}
}

// littleEndian reports the byte order the unrolled kernels rely on (they read
// byte j of a word at byte offset j).
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
