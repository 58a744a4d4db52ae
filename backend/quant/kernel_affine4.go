package quant

// The 4-bit kernel works on bytes: a byte of a packed word holds the codes of
// two neighbouring columns (2k in the low nibble, 2k+1 in the high one), and
// its contribution to a dot product is the pair sum
//
//	p(k, byte) = float32(lo*x[2k]) + float32(hi*x[2k+1])
//
// For a handful of vectors (decode), every pair sum of every vector is
// tabulated once per call ([n][cols/2][256] floats), and a group's dot product
// is then one table load and one add per byte instead of two conversions, two
// multiplies and two adds. For longer batches (prefill) the tables would not
// fit in cache, so the pair sums are computed on the fly from codes unpacked
// once per group. Both paths add the same pair sums in the same order (byte i
// of a group into lane i%4, lanes combined pairwise), so they give the same bits.

// tableMaxVectors is the largest batch that uses the pair tables.
const tableMaxVectors = vectorBlock

// tableEntries is the number of floats of one vector's pair tables.
func tableEntries(cols int) int { return cols / 2 * 256 }

// buildPairTables fills the tables of vector b for pairs [k0, k1):
// tab[k*256 + hi<<4 | lo] = float32(lo*x[2k]) + float32(hi*x[2k+1]).
func buildPairTables(tab, x []float32, k0, k1 int) {
	var low [16]float32
	for k := k0; k < k1; k++ {
		x0, x1 := x[2*k], x[2*k+1]
		for q := range low {
			low[q] = float32(q) * x0
		}
		t := (*[256]float32)(tab[k*256:])
		for hi := range 16 {
			h := float32(float32(hi) * x1)
			row := (*[16]float32)(t[hi*16:])
			for lo, l := range low {
				row[lo] = l + h
			}
		}
	}
}

// dotPairTables returns the dot product of one group's codes (words) with a
// vector whose pair tables for that group start at tab.
func dotPairTables(words []uint32, tab []float32) float32 {
	var l0, l1, l2, l3 float32
	for w, word := range words {
		t := (*[1024]float32)(tab[w*1024:])
		l0 += t[word&255]
		l1 += t[256+word>>8&255]
		l2 += t[512+word>>16&255]
		l3 += t[768+word>>24]
	}
	return (l0 + l1) + (l2 + l3)
}

// dotPairs returns the same value as dotPairTables from codes unpacked into q.
func dotPairs(q, x []float32) float32 {
	var l0, l1, l2, l3 float32
	x = x[:len(q)]
	for i := 0; i+8 <= len(q); i += 8 {
		c := q[i : i+8 : i+8]
		v := x[i : i+8 : i+8]
		l0 += float32(c[0]*v[0]) + float32(c[1]*v[1])
		l1 += float32(c[2]*v[2]) + float32(c[3]*v[3])
		l2 += float32(c[4]*v[4]) + float32(c[5]*v[5])
		l3 += float32(c[6]*v[6]) + float32(c[7]*v[7])
	}
	return (l0 + l1) + (l2 + l3)
}

// affine4TableRows computes rows [lo, hi) of a 4-bit matrix for n <=
// tableMaxVectors vectors from their pair tables ([n][tableEntries(cols)]).
// The loops run group, vector, row, innermost the rows of the chunk: one
// vector's tables for one group (32 KiB at group size 64) stay in L1 while
// every row of the chunk looks them up. Each (row, vector) still adds its
// groups in column order.
func affine4TableRows(a *Affine, dst, tables, xsum []float32, n, lo, hi int) {
	groupSize, groups, rows := a.groupSize, a.groupsPerRow, a.rows
	wordsPerGroup := groupSize / 8
	perVector := tableEntries(a.cols)
	for b := range n {
		clear(dst[b*rows+lo : b*rows+hi])
	}
	for g := range groups {
		for b := range n {
			tab := tables[b*perVector+g*groupSize*128 : b*perVector+(g+1)*groupSize*128]
			xs := xsum[b*groups+g]
			out := dst[b*rows : (b+1)*rows]
			for r := lo; r < hi; r++ {
				w := r*a.wordsPerRow + g*wordsPerGroup
				d := dotPairTables(a.weight[w:w+wordsPerGroup], tab)
				scale, bias := a.scaleBias(r*groups + g)
				out[r] += float32(scale*d) + float32(bias*xs)
			}
		}
	}
}

// affine4Rows computes rows [lo, hi) of a 4-bit matrix for a long batch,
// unpacking each group's codes once per block of vectors.
func affine4Rows(a *Affine, dst, x, xsum []float32, n, lo, hi int, scratch []float32) {
	groupSize, groups := a.groupSize, a.groupsPerRow
	wordsPerGroup := groupSize / 8
	rows, cols := a.rows, a.cols
	q := scratch[:groupSize]
	for b0 := 0; b0 < n; b0 += vectorBlock {
		b1 := min(b0+vectorBlock, n)
		for r := lo; r < hi; r++ {
			words := a.weight[r*a.wordsPerRow : (r+1)*a.wordsPerRow]
			for b := b0; b < b1; b++ {
				dst[b*rows+r] = 0
			}
			for g := range groups {
				unpackCodes(4, words[g*wordsPerGroup:(g+1)*wordsPerGroup], q)
				scale, bias := a.scaleBias(r*groups + g)
				for b := b0; b < b1; b++ {
					d := dotPairs(q, x[b*cols+g*groupSize:])
					dst[b*rows+r] += float32(scale*d) + float32(bias*xsum[b*groups+g])
				}
			}
		}
	}
}
