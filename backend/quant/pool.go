package quant

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs the chunks of one MatMul phase on GOMAXPROCS goroutines: the
// calling goroutine and helpers that live for the life of the process. A call
// allocates nothing once buffers have grown to their working size. Calls are
// serialized: the engine runs one matmul at a time and each uses every core.
//
// The caller never waits for a helper that has not started: chunks are
// claimed from a shared counter, the caller works through them itself, and it
// waits only for chunks a helper has claimed and not finished. On a busy
// machine a helper thread can take milliseconds to be scheduled, and a matmul
// must not stall for that.
type pool struct {
	mu   sync.Mutex
	wake []chan struct{} // one per helper goroutine, buffered (1)
	done chan struct{}   // buffered (1): a helper finished the last chunk

	// claim packs the phase generation (bits 40-63), its chunk count (bits
	// 20-39) and the next chunk to hand out (bits 0-19); a helper that wakes
	// late sees a finished or newer phase and claims nothing from it.
	claim     atomic.Uint64
	completed atomic.Int64 // chunks of the current phase finished
	gen       uint64       // generation of the current phase
	job       job          // the current phase; fixed while it has unfinished chunks

	scratch workerScratch // the calling goroutine's
	xsum    []float32     // [n][groups] per-group sums of each vector
	tables  fixedTables   // pair tables of the current block of vectors (4-bit matrices)
	tablesX source        // the vectors the tables were built from
	digits  []int32       // [words][n][6] the vectors' digits for the packed kernel
	factors []float32     // [groups][n][2] their factors and group sums
	digitsX source        // the vectors the digits were made from
}

// source records the vectors that data derived from them (pair tables,
// digits) was made from, so projections sharing an input (q, k and v; gate
// and up) derive it once.
type source struct {
	x         []float32 // [n][cols]
	cols      int
	groupSize int
}

// same reports whether the derived data was made from x (bit for bit, cols
// columns each, per group of groupSize), and records x as its source when
// not; the caller then derives it again.
func (s *source) same(x []float32, cols, groupSize int) bool {
	if s.cols == cols && s.groupSize == groupSize && len(s.x) == len(x) {
		same := true
		for i, v := range x {
			if math.Float32bits(v) != math.Float32bits(s.x[i]) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	s.x = grow(s.x, len(x))
	copy(s.x, x)
	s.cols, s.groupSize = cols, groupSize
	return false
}

// Field widths of pool.claim.
const (
	claimBits = 20
	claimMask = 1<<claimBits - 1
)

// job is one phase of a MatMul call split into chunks: rows of the matrix,
// or (for 4-bit matrices) groups of the pair tables to build.
type job struct {
	kind      jobKind
	m         Matrix
	dst, x    []float32
	xsum      []float32
	tables    *fixedTables
	digits    []int32   // x as vectorDigits writes it, for the packed kernel
	factors   []float32 // the factors and sums vectorDigits writes with them
	cols      int       // columns of x, for digitsJob
	groupSize int       // group size of the digits, for digitsJob
	n         int
	chunkRows int // rows per chunk, or groups per chunk when building tables
	chunks    int
}

// jobKind says what a chunk of a job computes.
type jobKind int

const (
	rowsJob       jobKind = iota // dst rows from the codes or weights
	tableRowsJob                 // dst rows of a 4-bit matrix from pair tables
	buildTableJob                // pair tables of the vectors
	digitsJob                    // digits of the vectors for the packed kernel
)

var workers pool

// run executes j on all cores and returns when every chunk is done.
func (p *pool) run(j job) {
	if j.chunks > claimMask {
		panic("quant: too many chunks in one phase")
	}
	nw := min(runtime.GOMAXPROCS(0), j.chunks)
	if p.done == nil {
		p.done = make(chan struct{}, 1)
	}
	for len(p.wake) < nw-1 {
		ch := make(chan struct{}, 1)
		p.wake = append(p.wake, ch)
		go p.helper(ch, new(workerScratch))
	}

	// Publish the phase, then wake the helpers that are not already awake.
	p.job = j
	p.gen++
	p.completed.Store(0)
	p.claim.Store(p.gen<<(2*claimBits) | uint64(j.chunks)<<claimBits)
	for _, ch := range p.wake[:nw-1] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}

	if !p.work(&p.scratch) {
		<-p.done
	}
}

// helper is the loop of one helper goroutine, with its own scratch buffers.
// After a phase it watches for the next one for a while before it sleeps: a
// forward pass runs its matmuls a fraction of a millisecond apart, and a
// helper woken from sleep for each would miss much of the shorter ones.
func (p *pool) helper(wake chan struct{}, s *workerScratch) {
	for range wake {
		for {
			if p.work(s) {
				p.done <- struct{}{}
			}
			if !p.await() {
				break
			}
		}
	}
}

// helperSpin is how long a helper watches for the next phase before it sleeps.
const helperSpin = 200 * time.Microsecond

// await reports whether a phase with chunks to claim appears within
// helperSpin. It yields its thread between looks: the caller's own parallel
// work (the model's attention) must not wait for a spinning helper.
func (p *pool) await() bool {
	var deadline time.Time
	for i := 0; ; i++ {
		v := p.claim.Load()
		if int(v&claimMask) < int(v>>claimBits&claimMask) {
			return true
		}
		runtime.Gosched()
		if i%64 == 0 {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(helperSpin)
			} else if now.After(deadline) {
				return false
			}
		}
	}
}

// work claims and runs chunks of the current phase until none are left, and
// reports whether it finished the phase's last chunk. Which worker computes a
// row does not change its result: each row's arithmetic is fixed.
func (p *pool) work(s *workerScratch) (last bool) {
	for {
		v := p.claim.Load()
		c, chunks := int(v&claimMask), int(v>>claimBits&claimMask)
		if c >= chunks {
			return last
		}
		if !p.claim.CompareAndSwap(v, v+1) {
			continue
		}
		// The phase cannot change until this chunk is counted as completed.
		p.runChunk(c, s)
		last = p.completed.Add(1) == int64(chunks)
	}
}

// runChunk computes chunk c of the current phase.
func (p *pool) runChunk(c int, s *workerScratch) {
	j := &p.job
	if j.kind == buildTableJob {
		// Chunk c covers j.chunkRows groups of one table unit.
		groups := j.m.Cols() / j.tables.groupSize
		perUnit := (groups + j.chunkRows - 1) / j.chunkRows
		u, g0 := c/perUnit, c%perUnit*j.chunkRows
		j.tables.build(j.x, u, g0, min(g0+j.chunkRows, groups))
		return
	}
	if j.kind == digitsJob {
		// Chunk c covers j.chunkRows groups of one vector.
		groups := j.cols / j.groupSize
		perVector := (groups + j.chunkRows - 1) / j.chunkRows
		b, g0 := c/perVector, c%perVector*j.chunkRows
		vectorDigits(j.digits, j.factors, j.x, j.xsum, j.n, j.cols, j.groupSize,
			b, g0, min(g0+j.chunkRows, groups))
		return
	}
	lo := c * j.chunkRows
	hi := min(lo+j.chunkRows, j.m.Rows())
	if j.kind == tableRowsJob {
		affine4TableRows(j.m.(*Affine), j.dst, j.tables, j.xsum, lo, hi, s)
		return
	}
	switch m := j.m.(type) {
	case *Affine:
		if j.digits != nil {
			affine4PackedRows(m, j.dst, j.digits, j.factors, j.n, lo, hi)
			return
		}
		affineRows(m, j.dst, j.x, j.xsum, j.n, lo, hi, s.floats(m.groupSize))
	case *Dense:
		denseRows(m, j.dst, j.x, j.n, lo, hi, s.floats(m.cols))
	default:
		genericRows(m, j.dst, j.x, j.n, lo, hi, s.floats(m.Cols()))
	}
}

// workerScratch is one worker's reusable buffers; they grow to the largest
// request and are kept, so steady-state calls allocate nothing.
type workerScratch struct {
	f    []float32
	sink uint32 // keeps touch's loads from being optimized away
}

// touch reads one word per 64-byte cache line of w, in order.
func (s *workerScratch) touch(w []uint32) {
	var sum uint32
	for i := 0; i < len(w); i += 16 {
		sum += w[i]
	}
	s.sink += sum
}

// floats returns a float32 buffer of n elements.
func (s *workerScratch) floats(n int) []float32 {
	if cap(s.f) < n {
		s.f = make([]float32, n)
	}
	return s.f[:n]
}
