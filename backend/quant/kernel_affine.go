package quant

// affineRows computes rows [lo, hi) of an affine matrix for n vectors, for
// the bit widths without a table kernel (2 and 8), and for 4 bits through the
// AVX2 or AVX-512 kernel when one applies (x then has its columns permuted).
//
// For one group of one row, sum_j (scale*q_j + bias)*x_j is computed as
// scale*dot(q, x) + bias*sum(x): the codes are multiplied as small integers
// and the per-group sums of x (xsum, [n][groups]) are computed once per call.
// The dot products follow dot8's lane order whichever path computes them, so
// a single vector (codes unpacked on the fly) and a batch (codes unpacked once
// into scratch, then dotted with each vector) give the same bits.
func affineRows(a *Affine, dst, x, xsum []float32, n, lo, hi int, scratch []float32) {
	groupSize, groups := a.groupSize, a.groupsPerRow
	wordsPerGroup := groupSize * a.bits / 32
	rows, cols := a.rows, a.cols
	if asmFits(a) {
		affine4RowsAsm(a, dst, x, xsum, n, lo, hi)
		return
	}

	// One vector: unpack and multiply in one pass.
	if n == 1 {
		dotCodes := dotCodes8
		if a.bits == 2 {
			dotCodes = dotCodes2
		}
		for r := lo; r < hi; r++ {
			words := a.weight[r*a.wordsPerRow : (r+1)*a.wordsPerRow]
			var acc float32
			for g := range groups {
				d := dotCodes(words[g*wordsPerGroup:(g+1)*wordsPerGroup], x[g*groupSize:])
				scale, bias := a.scaleBias(r*groups + g)
				acc += float32(scale*d) + float32(bias*xsum[g])
			}
			dst[r] = acc
		}
		return
	}

	// A batch: per block of vectors, unpack each group once and dot it with
	// every vector of the block.
	q := scratch[:groupSize]
	for b0 := 0; b0 < n; b0 += vectorBlock {
		b1 := min(b0+vectorBlock, n)
		for r := lo; r < hi; r++ {
			words := a.weight[r*a.wordsPerRow : (r+1)*a.wordsPerRow]
			for b := b0; b < b1; b++ {
				dst[b*rows+r] = 0
			}
			for g := range groups {
				unpackCodes(a.bits, words[g*wordsPerGroup:(g+1)*wordsPerGroup], q)
				scale, bias := a.scaleBias(r*groups + g)
				for b := b0; b < b1; b++ {
					d := dot8(q, x[b*cols+g*groupSize:])
					dst[b*rows+r] += float32(scale*d) + float32(bias*xsum[b*groups+g])
				}
			}
		}
	}
}

// unpackCodes writes the codes of words, lowest bits first, as float32 into q.
func unpackCodes(bits int, words []uint32, q []float32) {
	switch bits {
	case 8:
		q = q[:4*len(words)]
		for w, word := range words {
			v := q[4*w : 4*w+4 : 4*w+4]
			v[0], v[1] = float32(word&255), float32(word>>8&255)
			v[2], v[3] = float32(word>>16&255), float32(word>>24)
		}
	default:
		perWord := 32 / bits
		mask := uint32(1)<<bits - 1
		for w, word := range words {
			for k := range perWord {
				q[w*perWord+k] = float32(word >> (uint(k) * uint(bits)) & mask)
			}
		}
	}
}

// dotCodes8 returns dot(codes, x) for 8-bit codes, 4 per word, in dot8's lane order.
func dotCodes8(words []uint32, x []float32) float32 {
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	x = x[:4*len(words)]
	for w := 0; w+2 <= len(words); w += 2 {
		lo, hi := words[w], words[w+1]
		v := x[4*w : 4*w+8 : 4*w+8]
		l0 += float32(float32(lo&255) * v[0])
		l1 += float32(float32(lo>>8&255) * v[1])
		l2 += float32(float32(lo>>16&255) * v[2])
		l3 += float32(float32(lo>>24) * v[3])
		l4 += float32(float32(hi&255) * v[4])
		l5 += float32(float32(hi>>8&255) * v[5])
		l6 += float32(float32(hi>>16&255) * v[6])
		l7 += float32(float32(hi>>24) * v[7])
	}
	return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
}

// dotCodes2 returns dot(codes, x) for 2-bit codes, 16 per word, in dot8's lane order.
func dotCodes2(words []uint32, x []float32) float32 {
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	x = x[:16*len(words)]
	for w, word := range words {
		v := x[16*w : 16*w+16 : 16*w+16]
		l0 += float32(float32(word&3) * v[0])
		l1 += float32(float32(word>>2&3) * v[1])
		l2 += float32(float32(word>>4&3) * v[2])
		l3 += float32(float32(word>>6&3) * v[3])
		l4 += float32(float32(word>>8&3) * v[4])
		l5 += float32(float32(word>>10&3) * v[5])
		l6 += float32(float32(word>>12&3) * v[6])
		l7 += float32(float32(word>>14&3) * v[7])
		l0 += float32(float32(word>>16&3) * v[8])
		l1 += float32(float32(word>>18&3) * v[9])
		l2 += float32(float32(word>>20&3) * v[10])
		l3 += float32(float32(word>>22&3) * v[11])
		l4 += float32(float32(word>>24&3) * v[12])
		l5 += float32(float32(word>>26&3) * v[13])
		l6 += float32(float32(word>>28&3) * v[14])
		l7 += float32(float32(word>>30) * v[15])
	}
	return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
}
