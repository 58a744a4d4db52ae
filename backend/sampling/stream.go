package sampling

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// MaxSeed is the largest seed a run may record: 2^53 - 1, the largest integer that
// survives a round trip through a JSON number read by JavaScript (the UI).
const MaxSeed = 1<<53 - 1

// streamTag fills the last 16 bytes of every stream key. Changing it changes every
// seeded run ever recorded, so it is versioned and must stay as it is.
const streamTag = "knobs-sampling/1"

// Stream is one column's source of randomness. It is ChaCha8 as specified by C2SP
// (https://c2sp.org/chacha8rand) and implemented by math/rand/v2.ChaCha8, keyed by
//
//	key[0:8]   = seed,   little-endian uint64
//	key[8:16]  = column, little-endian uint64
//	key[16:32] = "knobs-sampling/1"
//
// so each (seed, column) pair has its own independent stream: a column's draws never
// depend on how many other columns exist, the order they are sampled in, batching or
// GOMAXPROCS. The output is pure integer arithmetic and identical on every machine.
// A Stream is not safe for concurrent use.
type Stream struct {
	src   *rand.ChaCha8
	draws uint64 // number of 64-bit words consumed
}

// NewStream returns the stream of the given seed and column (the column's index in a
// comparison, 0 for a single run).
func NewStream(seed uint64, column uint64) *Stream {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:8], seed)
	binary.LittleEndian.PutUint64(key[8:16], column)
	copy(key[16:], streamTag)
	return &Stream{src: rand.NewChaCha8(key)}
}

// Uint64 returns the next 64 random bits.
func (s *Stream) Uint64() uint64 {
	s.draws++
	return s.src.Uint64()
}

// Draws reports how many 64-bit words the stream has handed out. Each non-greedy
// sampling step takes exactly one; a greedy step (temperature 0) takes none.
func (s *Stream) Draws() uint64 { return s.draws }

// uniform53 returns the top 53 bits of the next word: an integer uniform in [0, 2^53).
func (s *Stream) uniform53() uint64 { return s.Uint64() >> 11 }

// scaledDraw maps one 53-bit uniform x onto [0, total): floor(x * total / 2^53). Every
// integer in [0, total) is hit by floor(2^53/total) or one more values of x, so a
// weight w out of total is drawn with probability w/total to within 2^-53.
func scaledDraw(x, total uint64) uint64 {
	hi, lo := bits.Mul64(x, total)
	return hi<<11 | lo>>53
}

// NewSeed draws a fresh seed in [0, 2^32) from the operating system's generator, for
// a run whose user gave none. The caller records it so the run can be replayed; 32
// bits keep it short enough to read and type.
func NewSeed() uint64 {
	var b [4]byte
	crand.Read(b[:]) // never returns an error (it crashes instead), see its doc
	return uint64(binary.LittleEndian.Uint32(b[:]))
}

// EnsureSeed returns the run's seed, first drawing one with NewSeed and storing it in
// p.Seed when the user gave none, so that the run record can replay it.
func (p *Params) EnsureSeed() uint64 {
	if p.Seed == nil {
		seed := NewSeed()
		p.Seed = &seed
	}
	return *p.Seed
}
