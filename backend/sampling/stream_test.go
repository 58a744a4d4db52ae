package sampling

import (
	"math"
	"testing"
)

// TestStreamGolden pins the first words of two streams. If it fails, every recorded
// seed replays differently: the stream algorithm or its key layout changed.
func TestStreamGolden(t *testing.T) {
	for _, c := range []struct {
		seed, column uint64
		want         [3]uint64
	}{
		{0, 0, [3]uint64{0x2f65b49938e2bf26, 0x3f5acde7ab77e2be, 0xa84fb9d8f0f03f4a}},
		{42, 3, [3]uint64{0x25b34c8c4a4aa00f, 0x334a3638a1bd502d, 0x5d4d4a6550fec786}},
	} {
		s := NewStream(c.seed, c.column)
		for i, want := range c.want {
			if got := s.Uint64(); got != want {
				t.Errorf("NewStream(%d, %d) word %d = %#x, want %#x", c.seed, c.column, i, got, want)
			}
		}
	}
}

func TestStreamIndependence(t *testing.T) {
	const n = 1000
	alone := make([]uint64, n)
	s := NewStream(7, 3)
	for i := range alone {
		alone[i] = s.Uint64()
	}

	// Column 3 interleaved with four other columns, consumed unevenly.
	cols := make([]*Stream, 5)
	for c := range cols {
		cols[c] = NewStream(7, uint64(c))
	}
	var got []uint64
	for len(got) < n {
		for c, st := range cols {
			for range c + 1 {
				v := st.Uint64()
				if c == 3 {
					got = append(got, v)
				}
			}
		}
	}
	for i := range alone {
		if got[i] != alone[i] {
			t.Fatalf("word %d of column 3 depends on the other columns", i)
		}
	}
	if s.Draws() != n {
		t.Errorf("Draws = %d, want %d", s.Draws(), n)
	}

	// Different seeds and columns give different streams.
	a, b, c := NewStream(7, 0).Uint64(), NewStream(7, 1).Uint64(), NewStream(8, 0).Uint64()
	if a == b || a == c || b == c {
		t.Errorf("streams collide: %#x %#x %#x", a, b, c)
	}
}

func TestScaledDraw(t *testing.T) {
	const top = 1<<53 - 1
	for _, total := range []uint64{1, 3, 1 << 44, 1<<63 - 1} {
		if got := scaledDraw(0, total); got != 0 {
			t.Errorf("scaledDraw(0, %d) = %d, want 0", total, got)
		}
		if got := scaledDraw(top, total); got >= total {
			t.Errorf("scaledDraw(max, %d) = %d, want < total", total, got)
		}
	}
	// Half of the range maps to the lower half of the total.
	if got := scaledDraw(1<<52, 1000); got != 500 {
		t.Errorf("scaledDraw(2^52, 1000) = %d, want 500", got)
	}
}

func TestNewSeed(t *testing.T) {
	a, b := NewSeed(), NewSeed()
	if a > math.MaxUint32 || b > math.MaxUint32 {
		t.Errorf("seeds %d, %d exceed 32 bits", a, b)
	}
	if a == b {
		t.Errorf("two fresh seeds are equal (%d); the odds are 2^-32", a)
	}
}

func TestEnsureSeed(t *testing.T) {
	var p Params
	seed := p.EnsureSeed()
	if p.Seed == nil || *p.Seed != seed {
		t.Fatalf("EnsureSeed did not record the seed: %v", p.Seed)
	}
	if again := p.EnsureSeed(); again != seed {
		t.Errorf("EnsureSeed changed a recorded seed: %d then %d", seed, again)
	}
}
