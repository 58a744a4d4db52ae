package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// digitsOf returns vector b's integers M of group g (M = d0*65536 + d1*256 +
// d2, from the digit bytes) and the group's factor, read back from the
// layout vectorDigits writes.
func digitsOf(digits []int32, factors []float32, n, b, g, groupSize int) ([]int64, float32) {
	m := make([]int64, groupSize)
	for j := range m {
		col := g*groupSize + j
		word := digits[((col/8)*n+b)*packedDigits:]
		odd, shift := j%2, uint(8*(j%8/2))
		digit := func(d int) int64 { return int64(int8(uint32(word[2*d+odd]) >> shift)) }
		m[j] = digit(0)*65536 + digit(1)*256 + digit(2)
	}
	return m, factors[(g*n+b)*2]
}

// TestVectorDigits checks the integer form of x against x itself: every
// element is M*2^-k rounded to the nearest multiple of 2^-k, |M| <= 2^22, and
// the group's largest magnitude keeps 22 bits or more; the group sums ride
// along unchanged.
func TestVectorDigits(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	const n, groupSize = 3, 64
	cols := 4 * groupSize
	x := randomVector(rng, n*cols, 1)
	// Magnitudes far apart, one group of zeros, one of subnormal size, one
	// at the top of the float32 range, exact powers of two and halves.
	for j := range groupSize {
		x[groupSize+j] *= float32(math.Ldexp(1, j-40))
		x[2*groupSize+j] = 0
		x[cols+j] = float32(math.Ldexp(float64(x[cols+j]), -130))
		x[cols+groupSize+j] = float32(math.Ldexp(float64(x[cols+groupSize+j]), 126))
		x[2*cols+j] = float32(math.Ldexp(1, -j%23))
		x[2*cols+groupSize+j] = float32(j) + 0.5
	}
	xsum := make([]float32, n*4)
	for i := range xsum {
		xsum[i] = float32(i) + 0.25
	}
	digits := make([]int32, cols/8*n*packedDigits)
	factors := make([]float32, 4*n*2)
	for b := range n {
		vectorDigits(digits, factors, x, xsum, n, cols, groupSize, b, 0, 4)
	}
	for b := range n {
		for g := range 4 {
			m, factor := digitsOf(digits, factors, n, b, g, groupSize)
			if got := factors[(g*n+b)*2+1]; got != xsum[b*4+g] {
				t.Errorf("vector %d group %d: sum %g, want %g", b, g, got, xsum[b*4+g])
			}
			var largest int64
			for j, mj := range m {
				v := float64(x[b*cols+g*groupSize+j])
				if mj > 1<<22 || mj < -(1<<22) {
					t.Fatalf("vector %d column %d: M = %d is past 2^22", b, g*groupSize+j, mj)
				}
				if err := math.Abs(v - float64(mj)*float64(factor)); err > float64(factor)/2 {
					t.Errorf("vector %d column %d: %g is %d * %g, off by %g > half a step",
						b, g*groupSize+j, v, mj, factor, err)
				}
				largest = max(largest, mj, -mj)
			}
			if largest != 0 && largest < 1<<21 && factor > float32(math.Ldexp(1, -122)) {
				t.Errorf("vector %d group %d: largest |M| = %d keeps fewer than 22 bits",
					b, g, largest)
			}
		}
	}
}

// TestVectorDigitsNonFinite checks that a group holding Inf or NaN gets the
// factor NaN and zero digits, and leaves the other groups alone.
func TestVectorDigitsNonFinite(t *testing.T) {
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		x := make([]float32, 2*32)
		for i := range x {
			x[i] = float32(i) - 20
		}
		x[40] = bad
		digits := make([]int32, 8*packedDigits)
		factors := make([]float32, 2*2)
		vectorDigits(digits, factors, x, make([]float32, 2), 1, 64, 32, 0, 0, 2)
		if !math.IsNaN(float64(factors[2])) {
			t.Errorf("%g: factor of its group = %g, want NaN", bad, factors[2])
		}
		if m, _ := digitsOf(digits, factors, 1, 0, 1, 32); m[0] != 0 || m[31] != 0 {
			t.Errorf("%g: digits of its group not zero: %v", bad, m)
		}
		if m, f := digitsOf(digits, factors, 1, 0, 0, 32); float32(m[3])*f != -17 {
			t.Errorf("%g: the other group changed: %d * %g, want -17", bad, m[3], f)
		}
	}
}

// TestPack checks the packed layout against the matrix: word w of row r at
// block r/16, lane r%16, and zeros past the last row.
func TestPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	m := randomAffine(rng, 21, 256, 4, 64, safetensors.F16)
	p := pack(m)
	if p.blocks != 2 {
		t.Fatalf("%d blocks for 21 rows, want 2", p.blocks)
	}
	words, groups := m.wordsPerRow, m.groupsPerRow
	for r := range 2 * packRows {
		blk, lane := r/packRows, r%packRows
		for w := range words {
			want := uint32(0)
			if r < m.rows {
				want = m.weight[r*words+w]
			}
			if got := p.codes[(blk*words+w)*packRows+lane]; got != want {
				t.Fatalf("row %d word %d: %#x, want %#x", r, w, got, want)
			}
		}
		for g := range groups {
			var s, b uint16
			if r < m.rows {
				s, b = m.scales16[r*groups+g], m.biases16[r*groups+g]
			}
			i := (blk*groups+g)*packRows + lane
			if p.scales[i] != s || p.biases[i] != b {
				t.Fatalf("row %d group %d: scale, bias %#x %#x, want %#x %#x",
					r, g, p.scales[i], p.biases[i], s, b)
			}
		}
	}
}

// TestDequantRowPacked checks that a packed matrix's rows read back from the
// packed copy alone: the checkpoint's codes and scales are zeroed after
// packing (as Evict drops them from memory) and every row, including those of
// a partial last block, still dequantizes to what it did before.
func TestDequantRowPacked(t *testing.T) {
	for _, dtype := range []safetensors.DType{safetensors.BF16, safetensors.F16} {
		rng := rand.New(rand.NewPCG(37, 38))
		m := randomAffine(rng, 2*packRows+5, 256, 4, 64, dtype)
		m.Release() // NewAffine packs on VNNI machines; read the checkpoint first
		want := make([][]float32, m.rows)
		for r := range want {
			want[r] = make([]float32, m.cols)
			m.DequantRow(r, want[r])
		}
		m.packed = pack(m)
		defer m.packed.release()
		clear(m.weight)
		clear(m.scales16)
		clear(m.biases16)
		got := make([]float32, m.cols)
		for r := range want {
			m.DequantRow(r, got)
			for j := range got {
				if got[j] != want[r][j] {
					t.Fatalf("%s row %d column %d: %g from the packed copy, want %g",
						dtype, r, j, got[j], want[r][j])
				}
			}
		}
	}
}

func BenchmarkVectorDigits(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, cols = 5, 2048
	x := randomVector(rng, n*cols, 1)
	xsum := make([]float32, n*cols/64)
	digits := make([]int32, cols/8*n*packedDigits)
	factors := make([]float32, cols/64*n*2)
	for b.Loop() {
		for v := range n {
			vectorDigits(digits, factors, x, xsum, n, cols, 64, v, 0, cols/64)
		}
	}
	b.SetBytes(n * cols * 4)
}

// TestRelease checks that Release frees the packed copy once and that a
// second call does nothing.
func TestRelease(t *testing.T) {
	m := randomAffine(rand.New(rand.NewPCG(35, 36)), 20, 128, 4, 64, safetensors.BF16)
	if !packFits(m) {
		t.Skip("this CPU does not run the packed kernel")
	}
	if m.packed == nil {
		t.Fatal("NewAffine did not pack a 4-bit BF16 matrix")
	}
	m.Release()
	if m.packed != nil {
		t.Error("the packed copy is still there after Release")
	}
	m.Release()
}
