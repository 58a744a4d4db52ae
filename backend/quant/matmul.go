package quant

import (
	"fmt"
	"runtime"
)

// vectorBlock is how many vectors a kernel multiplies per pass over a row:
// the decode batch (up to 8 columns) reads every weight exactly once, and a
// long prefill keeps a block of vectors in cache while it walks a chunk of rows.
const vectorBlock = 8

// chunkBytes is the weight bytes of one chunk of rows: small enough to stay in
// L2 while every vector block passes over it, large enough to keep the
// scheduling overhead of a chunk negligible.
const chunkBytes = 64 << 10

// tableChunkBytes is the codes of one chunk of rows for the 4-bit kernel,
// which walks a chunk once per group: large enough that each group's tables,
// fetched once per chunk (from L3 for wide matrices), serve many rows, small
// enough to stay in a 2 MiB L2 with the tables.
const tableChunkBytes = 1280 << 10

// MatMul sets dst[b*rows+r] = dot(row r of m, x[b*cols:(b+1)*cols]) for b < n.
// Each weight is read from memory once for all n vectors (once per 8 vectors
// for 4-bit matrices on the portable kernel, whose blocks hold 8; the AVX2,
// AVX-512 and VNNI kernels re-read a block of rows from L2 for every 5, 8 or
// 5 vectors), rows are split over GOMAXPROCS goroutines, and the result for a
// given (row, vector) is bit-identical whatever n, the worker count or
// GOMAXPROCS.
//
// Calls from several goroutines are serialized, each using every core. The
// package keeps its scratch between calls, so a call allocates nothing once
// warm: for 4-bit matrices the pair tables of one block of vectors, 512 bytes
// per column per vector (32 MiB at most, for 8 vectors of 8192 columns), or
// with the assembly kernels a permuted copy of x, or x as integer digits.
// It panics if dst or x is too short: that is a programming error.
func MatMul(dst []float32, m Matrix, x []float32, n int) {
	rows, cols := m.Rows(), m.Cols()
	if len(dst) < n*rows || len(x) < n*cols || n < 0 {
		panic(fmt.Sprintf("quant.MatMul: dst %d and x %d floats, want %d and %d for n=%d",
			len(dst), len(x), n*rows, n*cols, n))
	}
	if n == 0 || rows == 0 {
		return
	}

	workers.mu.Lock()
	defer workers.mu.Unlock()

	// Per-group sums of each vector, shared by every row of an affine matrix.
	var xsum []float32
	if a, ok := m.(*Affine); ok {
		need := n * a.groupsPerRow
		if cap(workers.xsum) < need {
			workers.xsum = make([]float32, need)
		}
		xsum = workers.xsum[:need]
		groupSums(xsum, x, n, cols, a.groupSize)
	}

	rowBytes := max(m.WeightBytes()/int64(rows), 1)
	if a, ok := m.(*Affine); ok && usePacked(a) {
		matMulPacked(a, dst, x, xsum, n, rowBytes)
		return
	}
	if a, ok := m.(*Affine); ok && a.bits == 4 {
		if !asmFits(a) {
			matMul4(a, dst, x, xsum, n, rowBytes)
			return
		}
		// The assembly kernels (via affineRows) read the columns permuted.
		x = permuteColumns(x, n, cols)
	}
	chunkRows := int(max(min(chunkBytes/rowBytes, int64(rows)), 1))
	workers.run(job{
		kind: rowsJob, m: m, dst: dst, x: x, xsum: xsum, n: n,
		chunkRows: chunkRows,
		chunks:    (rows + chunkRows - 1) / chunkRows,
	})
}

// matMulPacked runs a packed 4-bit matrix through the VNNI kernel, in chunks
// of whole 16-row blocks.
func matMulPacked(a *Affine, dst, x, xsum []float32, n int, rowBytes int64) {
	words, groups := a.wordsPerRow, a.groupsPerRow
	if !workers.digitsX.same(x[:n*a.cols], a.cols, a.groupSize) {
		workers.digits = grow(workers.digits, words*n*packedDigits)
		workers.factors = grow(workers.factors, groups*n*2)
		const groupsPerChunk = 16
		perVector := (groups + groupsPerChunk - 1) / groupsPerChunk
		workers.run(job{
			kind: digitsJob, x: x, xsum: xsum, n: n, cols: a.cols, groupSize: a.groupSize,
			digits: workers.digits, factors: workers.factors,
			chunkRows: groupsPerChunk, chunks: n * perVector,
		})
	}
	blocks := max(chunkBytes/(rowBytes*packRows), 1)
	chunkRows := int(blocks) * packRows
	workers.run(job{
		kind: rowsJob, m: a, dst: dst, n: n,
		digits: workers.digits, factors: workers.factors,
		chunkRows: chunkRows,
		chunks:    (a.rows + chunkRows - 1) / chunkRows,
	})
}

// matMul4 runs a 4-bit matrix through the pair tables, vectorBlock vectors
// at a time.
func matMul4(a *Affine, dst, x, xsum []float32, n int, rowBytes int64) {
	rows, cols, groups := a.rows, a.cols, a.groupsPerRow
	// Larger chunks than the other kernels: the tables are re-read from L2
	// once per chunk, while the chunk's codes (up to 1.25 MiB) stay in L2.
	procs := runtime.GOMAXPROCS(0)
	chunkRows := max(min(int(tableChunkBytes/rowBytes), (rows+2*procs-1)/(2*procs)), 1)

	for b0 := 0; b0 < n; b0 += vectorBlock {
		nb := min(vectorBlock, n-b0)
		xb := x[b0*cols : (b0+nb)*cols]
		ft := &workers.tables

		// Projections that share an input (q, k and v; gate and up) reuse
		// the tables: they are a pure function of x and the group size.
		if !workers.tablesX.same(xb, cols, a.groupSize) {
			ft.reset(nb, cols, a.groupSize)
			groupsPerChunk := max(256/(a.groupSize/2), 1) // 256 pairs
			perUnit := (groups + groupsPerChunk - 1) / groupsPerChunk
			workers.run(job{
				kind: buildTableJob, m: a, x: xb, tables: ft, n: nb,
				chunkRows: groupsPerChunk, chunks: ft.units() * perUnit,
			})
		}
		workers.run(job{
			kind: tableRowsJob, m: a, dst: dst[b0*rows : (b0+nb)*rows], tables: ft,
			xsum: xsum[b0*groups : (b0+nb)*groups], n: nb,
			chunkRows: chunkRows, chunks: (rows + chunkRows - 1) / chunkRows,
		})
	}
}

// groupSums sets xsum[b*groups+g] to the sum of group g of vector b, in a
// fixed order (the same lanes as the dot kernels).
func groupSums(xsum, x []float32, n, cols, groupSize int) {
	groups := cols / groupSize
	for b := range n {
		xb := x[b*cols : (b+1)*cols]
		for g := range groups {
			xsum[b*groups+g] = sum8(xb[g*groupSize : (g+1)*groupSize])
		}
	}
}

// sum8 sums x (a multiple of 8 long) in eight interleaved lanes.
func sum8(x []float32) float32 {
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	for i := 0; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		l0 += v[0]
		l1 += v[1]
		l2 += v[2]
		l3 += v[3]
		l4 += v[4]
		l5 += v[5]
		l6 += v[6]
		l7 += v[7]
	}
	return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
}

// dot8 returns the dot product of a and b in eight interleaved lanes: element
// i goes to lane i%8, lanes are combined pairwise. Every kernel that produces
// the same dot product uses exactly this order. The float32 conversions keep
// the compiler from fusing a multiply and an add on some code paths only
// (the Go spec allows fusion; an explicit conversion forbids it), which would
// make results depend on the path. A tail shorter than 8 is added in order.
func dot8(a, b []float32) float32 {
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	b = b[:len(a)]
	i := 0
	for ; i+8 <= len(a); i += 8 {
		u := a[i : i+8 : i+8]
		v := b[i : i+8 : i+8]
		l0 += float32(u[0] * v[0])
		l1 += float32(u[1] * v[1])
		l2 += float32(u[2] * v[2])
		l3 += float32(u[3] * v[3])
		l4 += float32(u[4] * v[4])
		l5 += float32(u[5] * v[5])
		l6 += float32(u[6] * v[6])
		l7 += float32(u[7] * v[7])
	}
	s := ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))
	for ; i < len(a); i++ {
		s += float32(a[i] * b[i])
	}
	return s
}

// MatMulRef is the float64 reference of MatMul: every row is dequantized
// (in float64 for affine matrices) and dotted with each vector in float64.
func MatMulRef(dst []float64, m Matrix, x []float32, n int) {
	rows, cols := m.Rows(), m.Cols()
	row := make([]float64, cols)
	row32 := make([]float32, cols)
	for r := range rows {
		if a, ok := m.(*Affine); ok {
			for j := range cols {
				scale, bias := a.scaleBias(r*a.groupsPerRow + j/a.groupSize)
				row[j] = float64(scale)*float64(a.code(r, j)) + float64(bias)
			}
		} else {
			m.DequantRow(r, row32)
			for j, v := range row32 {
				row[j] = float64(v)
			}
		}
		for b := range n {
			var s float64
			for j, w := range row {
				s += w * float64(x[b*cols+j])
			}
			dst[b*rows+r] = s
		}
	}
}

// denseRows computes rows [lo, hi) of a dense matrix for n vectors.
func denseRows(d *Dense, dst, x []float32, n, lo, hi int, scratch []float32) {
	cols := d.cols
	for b0 := 0; b0 < n; b0 += vectorBlock {
		b1 := min(b0+vectorBlock, n)
		for r := lo; r < hi; r++ {
			var row []float32
			if d.f32 != nil {
				row = d.f32[r*cols : (r+1)*cols]
			} else {
				row = scratch[:cols]
				d.DequantRow(r, row)
			}
			for b := b0; b < b1; b++ {
				dst[b*d.rows+r] = dot8(row, x[b*cols:(b+1)*cols])
			}
		}
	}
}

// genericRows computes rows [lo, hi) of any Matrix through DequantRow.
func genericRows(m Matrix, dst, x []float32, n, lo, hi int, scratch []float32) {
	rows, cols := m.Rows(), m.Cols()
	row := scratch[:cols]
	for r := lo; r < hi; r++ {
		m.DequantRow(r, row)
		for b := range n {
			dst[b*rows+r] = dot8(row, x[b*cols:(b+1)*cols])
		}
	}
}
