package quant

import "unsafe"

// The 4-bit kernel works on bytes: a byte of a packed word holds the codes of
// two neighbouring columns (2k in the low nibble, 2k+1 in the high one), and
// its contribution to a dot product is the pair sum
//
//	p(k, byte) = float32(lo*x[2k]) + float32(hi*x[2k+1])
//
// Every pair sum of a block of up to 8 vectors is tabulated once per call
// ([n][cols/2][256] floats, built in parallel), and a group's dot product is
// then one table load and one add per byte instead of two conversions, two
// multiplies and two adds per pair. Byte i of a group goes to lane i%8 and the
// lanes are combined pairwise, so the result depends only on the row and the
// vector. Longer batches (prefill) run block after block, reading the weights
// once per block of 8 vectors; that costs far less than the arithmetic.

// tableEntries is the number of floats of one vector's pair tables.
func tableEntries(cols int) int { return cols / 2 * 256 }

// buildPairTables fills one vector's tables tab for the pairs [k0, k1) of x:
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
			row[0], row[1], row[2], row[3] = low[0]+h, low[1]+h, low[2]+h, low[3]+h
			row[4], row[5], row[6], row[7] = low[4]+h, low[5]+h, low[6]+h, low[7]+h
			row[8], row[9], row[10], row[11] = low[8]+h, low[9]+h, low[10]+h, low[11]+h
			row[12], row[13], row[14], row[15] = low[12]+h, low[13]+h, low[14]+h, low[15]+h
		}
	}
}

// dotPairTables returns the dot product of one group's codes (words, a
// multiple of 2) with a vector whose pair tables for that group start at tab.
// Byte i of the group goes to lane i%8, so eight independent chains hide the
// latency of the adds.
func dotPairTables(words []uint32, tab []float32) float32 {
	if !littleEndian {
		return dotPairTablesPortable(words, tab)
	}
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	// On a little-endian host byte i of the words is byte i%4 of word i/4.
	bs := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), 4*len(words))
	for ; len(bs) >= 8; bs, tab = bs[8:], tab[2048:] {
		t := (*[2048]float32)(tab)
		b := (*[8]byte)(bs)
		l0 += t[b[0]]
		l1 += t[256+int(b[1])]
		l2 += t[512+int(b[2])]
		l3 += t[768+int(b[3])]
		l4 += t[1024+int(b[4])]
		l5 += t[1280+int(b[5])]
		l6 += t[1536+int(b[6])]
		l7 += t[1792+int(b[7])]
	}
	return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
}

// dotPairTablesPortable is dotPairTables with shifts instead of a byte view.
func dotPairTablesPortable(words []uint32, tab []float32) float32 {
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	for ; len(words) >= 2; words, tab = words[2:], tab[2048:] {
		t := (*[2048]float32)(tab)
		w0, w1 := words[0], words[1]
		l0 += t[w0&255]
		l1 += t[256|w0>>8&255]
		l2 += t[512|w0>>16&255]
		l3 += t[768|w0>>24]
		l4 += t[1024|w1&255]
		l5 += t[1280|w1>>8&255]
		l6 += t[1536|w1>>16&255]
		l7 += t[1792|w1>>24]
	}
	return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
}

// littleEndian reports the byte order dotPairTables relies on.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// affine4TableRows computes rows [lo, hi) of a 4-bit matrix for n <=
// vectorBlock vectors from their pair tables ([n][tableEntries(cols)]).
//
// The loops run group, vector, row: one vector's tables for one group (32 KiB
// at group size 64) stay in L1 while every row of the chunk looks them up.
// The chunk's scales and biases are first converted to float32 group-major in
// the worker's scratch ([groups][rows] each), so that walk is sequential too.
// Each (row, vector) still adds its groups in column order.
func affine4TableRows(a *Affine, dst, tables, xsum []float32, n, lo, hi int, s *workerScratch) {
	groupSize, groups, rows := a.groupSize, a.groupsPerRow, a.rows
	wordsPerGroup := groupSize / 8
	perVector := tableEntries(a.cols)
	chunk := hi - lo

	// Pull the chunk's codes (contiguous, a few hundred KiB) into cache in
	// one sequential pass, which the hardware prefetchers stream at full
	// bandwidth; the group loop below then walks them with a stride of a
	// row and would otherwise wait on a cache miss per row and group pair.
	s.touch(a.weight[lo*a.wordsPerRow : hi*a.wordsPerRow])

	// Scratch: scales and biases of the chunk, group-major.
	buf := s.floats(2 * chunk * groups)
	scales, biases := buf[:chunk*groups], buf[chunk*groups:]
	a.scalesGroupMajor(scales, biases, lo, hi)

	for b := range n {
		clear(dst[b*rows+lo : b*rows+hi])
	}
	for g := range groups {
		gScales, gBiases := scales[g*chunk:(g+1)*chunk], biases[g*chunk:(g+1)*chunk]
		codes := a.weight[lo*a.wordsPerRow+g*wordsPerGroup:]
		for b := range n {
			tab := tables[b*perVector+g*groupSize*128 : b*perVector+(g+1)*groupSize*128]
			xs := xsum[b*groups+g]
			out := dst[b*rows+lo : b*rows+hi]
			if groupSize == 64 && littleEndian {
				addGroup64(out, gScales, gBiases, xs, codes, a.wordsPerRow, (*[8192]float32)(tab))
				continue
			}
			for i := range out {
				d := dotPairTables(codes[i*a.wordsPerRow:i*a.wordsPerRow+wordsPerGroup], tab)
				out[i] += float32(gScales[i]*d) + float32(gBiases[i]*xs)
			}
		}
	}
}

// addGroup64 adds one group of 64 columns to len(out) rows: out[i] +=
// scales[i]*dot + biases[i]*xs, with row i's codes at codes[i*stride] and its
// dot product computed as dotPairTables does (same lanes, same order, same
// bits), unrolled and inline: a Go call saves every register, which cost
// more than the lookups.
func addGroup64(out, scales, biases []float32, xs float32, codes []uint32, stride int,
	t *[8192]float32) {
	if len(out) == 0 {
		return
	}
	_ = codes[(len(out)-1)*stride+7]
	scales, biases = scales[:len(out)], biases[:len(out)]
	p := unsafe.Pointer(&codes[0])
	step := uintptr(4 * stride)
	for i := range out {
		b := (*[32]byte)(p)
		// Lanes start at +0 like the loop versions.
		var l0, l1, l2, l3, l4, l5, l6, l7 float32
		l0 += t[b[0]]
		l1 += t[256+int(b[1])]
		l2 += t[512+int(b[2])]
		l3 += t[768+int(b[3])]
		l4 += t[1024+int(b[4])]
		l5 += t[1280+int(b[5])]
		l6 += t[1536+int(b[6])]
		l7 += t[1792+int(b[7])]
		l0 += t[2048+int(b[8])]
		l1 += t[2304+int(b[9])]
		l2 += t[2560+int(b[10])]
		l3 += t[2816+int(b[11])]
		l4 += t[3072+int(b[12])]
		l5 += t[3328+int(b[13])]
		l6 += t[3584+int(b[14])]
		l7 += t[3840+int(b[15])]
		l0 += t[4096+int(b[16])]
		l1 += t[4352+int(b[17])]
		l2 += t[4608+int(b[18])]
		l3 += t[4864+int(b[19])]
		l4 += t[5120+int(b[20])]
		l5 += t[5376+int(b[21])]
		l6 += t[5632+int(b[22])]
		l7 += t[5888+int(b[23])]
		l0 += t[6144+int(b[24])]
		l1 += t[6400+int(b[25])]
		l2 += t[6656+int(b[26])]
		l3 += t[6912+int(b[27])]
		l4 += t[7168+int(b[28])]
		l5 += t[7424+int(b[29])]
		l6 += t[7680+int(b[30])]
		l7 += t[7936+int(b[31])]
		d := ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
		out[i] += float32(scales[i]*d) + float32(biases[i]*xs)
		p = unsafe.Add(p, step)
	}
}
