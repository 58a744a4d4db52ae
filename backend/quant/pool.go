package quant

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// pool runs the row chunks of one MatMul call on GOMAXPROCS goroutines. The
// goroutines live for the life of the process and are woken through channels,
// so a call allocates nothing once buffers have grown to their working size.
// Calls are serialized: the engine runs one matmul at a time and each uses
// every core.
type pool struct {
	mu      sync.Mutex
	wake    []chan struct{} // one per helper goroutine
	done    sync.WaitGroup
	next    atomic.Int64 // next chunk to claim
	job     job
	scratch []*workerScratch // per worker
	xsum    []float32        // [n][groups] per-group sums of each vector
	tables  []float32        // [n][cols/2][256] pair tables of 4-bit decode
	tablesX []float32        // [n][cols] the vectors the tables were built from
	tablesC int              // cols of tablesX
}

// tablesFor reports whether the pair tables hold the vectors x (bit for bit,
// cols columns each), and records x as their source when they do not; the
// caller then rebuilds them.
func (p *pool) tablesFor(x []float32, cols int) bool {
	if p.tablesC == cols && len(p.tablesX) == len(x) {
		same := true
		for i, v := range x {
			if math.Float32bits(v) != math.Float32bits(p.tablesX[i]) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	if cap(p.tablesX) < len(x) {
		p.tablesX = make([]float32, len(x))
	}
	p.tablesX = p.tablesX[:len(x)]
	copy(p.tablesX, x)
	p.tablesC = cols
	return false
}

// job is one phase of a MatMul call split into chunks: rows of the matrix,
// or (for 4-bit decode) ranges of the pair tables to build.
type job struct {
	kind      jobKind
	m         Matrix
	dst, x    []float32
	xsum      []float32
	tables    []float32
	n         int
	chunkRows int // rows per chunk, or table pairs per chunk
	chunks    int
}

// jobKind says what a chunk of a job computes.
type jobKind int

const (
	rowsJob       jobKind = iota // dst rows from the codes or weights
	tableRowsJob                 // dst rows of a 4-bit matrix from pair tables
	buildTableJob                // pair tables of the vectors
)

var workers pool

// run executes j on all cores and returns when every chunk is done.
func (p *pool) run(j job) {
	nw := runtime.GOMAXPROCS(0)
	nw = min(nw, j.chunks)
	for len(p.wake) < nw-1 {
		id := len(p.wake) + 1
		ch := make(chan struct{})
		p.wake = append(p.wake, ch)
		go p.helper(id, ch)
	}
	for len(p.scratch) < nw {
		p.scratch = append(p.scratch, new(workerScratch))
	}

	p.job = j
	p.next.Store(0)
	p.done.Add(nw - 1)
	for i := range nw - 1 {
		p.wake[i] <- struct{}{}
	}
	p.work(0)
	p.done.Wait()
	p.job = job{}
}

// helper is the loop of helper goroutine id.
func (p *pool) helper(id int, wake chan struct{}) {
	for range wake {
		p.work(id)
		p.done.Done()
	}
}

// work claims chunks until none are left. Which worker computes a row does
// not change its result: each row's arithmetic is fixed.
func (p *pool) work(id int) {
	j := &p.job
	s := p.scratch[id]
	for {
		c := int(p.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		if j.kind == buildTableJob {
			// Chunk c covers pairs of one vector; see MatMul.
			perVector := (j.m.Cols()/2 + j.chunkRows - 1) / j.chunkRows
			b, k0 := c/perVector, c%perVector*j.chunkRows
			cols := j.m.Cols()
			buildPairTables(j.tables[b*tableEntries(cols):], j.x[b*cols:(b+1)*cols],
				k0, min(k0+j.chunkRows, cols/2))
			continue
		}
		lo := c * j.chunkRows
		hi := min(lo+j.chunkRows, j.m.Rows())
		if j.kind == tableRowsJob {
			affine4TableRows(j.m.(*Affine), j.dst, j.tables, j.xsum, j.n, lo, hi, s)
			continue
		}
		switch m := j.m.(type) {
		case *Affine:
			affineRows(m, j.dst, j.x, j.xsum, j.n, lo, hi, s.floats(m.groupSize))
		case *Dense:
			denseRows(m, j.dst, j.x, j.n, lo, hi, s.floats(m.cols))
		default:
			genericRows(m, j.dst, j.x, j.n, lo, hi, s.floats(m.Cols()))
		}
	}
}

// workerScratch is one worker's reusable buffers; they grow to the largest
// request and are kept, so steady-state calls allocate nothing.
type workerScratch struct {
	f []float32
	u []uint32
}

// floats returns a float32 buffer of n elements.
func (s *workerScratch) floats(n int) []float32 {
	if cap(s.f) < n {
		s.f = make([]float32, n)
	}
	return s.f[:n]
}

// codes returns a uint32 buffer of n words.
func (s *workerScratch) codes(n int) []uint32 {
	if cap(s.u) < n {
		s.u = make([]uint32, n)
	}
	return s.u[:n]
}
