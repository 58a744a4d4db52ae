package safetensors

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestF16ToFloat32(t *testing.T) {
	cases := []struct {
		h    uint16
		want float64
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x3800, 0.5},
		{0x4248, 3.140625},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},
		{0x0400, 6.103515625e-05},         // 2^-14, smallest normal
		{0x0001, 5.9604644775390625e-08},  // 2^-24, smallest subnormal
		{0x03ff, 6.097555160522461e-05},   // 1023 * 2^-24, largest subnormal
		{0x8001, -5.9604644775390625e-08}, // negative subnormal
		{0x7c00, math.Inf(1)},
		{0xfc00, math.Inf(-1)},
	}
	for _, c := range cases {
		if got := F16ToFloat32(c.h); float64(got) != c.want {
			t.Errorf("F16ToFloat32(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if got := F16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("F16ToFloat32(0x8000) = %g, want -0", got)
	}
	for _, h := range []uint16{0x7e00, 0x7c01, 0xfe00, 0x7fff} {
		if got := F16ToFloat32(h); !math.IsNaN(float64(got)) {
			t.Errorf("F16ToFloat32(%#04x) = %g, want NaN", h, got)
		}
	}
}

func TestBF16ToFloat32(t *testing.T) {
	cases := []struct {
		b    uint16
		want float64
	}{
		{0x3f80, 1},
		{0xc000, -2},
		{0x4049, 3.140625},
		{0x0080, 1.1754943508222875e-38}, // 2^-126, smallest normal
		{0x0001, 9.183549615799121e-41},  // 2^-133, smallest subnormal
		{0x7f7f, 3.3895313892515355e+38}, // largest finite
		{0x7f80, math.Inf(1)},
		{0xff80, math.Inf(-1)},
	}
	for _, c := range cases {
		if got := BF16ToFloat32(c.b); float64(got) != c.want {
			t.Errorf("BF16ToFloat32(%#04x) = %g, want %g", c.b, got, c.want)
		}
	}
	if got := BF16ToFloat32(0x7fc0); !math.IsNaN(float64(got)) {
		t.Errorf("BF16ToFloat32(0x7fc0) = %g, want NaN", got)
	}
}

func TestFloat32ToHalfRounding(t *testing.T) {
	f := math.Float32frombits
	bf := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{f(0x3f808000), 0x3f80}, // 1 + 2^-8: tie, to even (down)
		{f(0x3f818000), 0x3f82}, // 1 + 3*2^-8: tie, to even (up)
		{f(0x3f808001), 0x3f81}, // just above the tie
		{f(0x7f7fffff), 0x7f80}, // max float32 rounds to infinity
		{f(0x00008000), 0x0000}, // subnormal tie, to even
		{f(0x00018000), 0x0002},
		{float32(math.Inf(-1)), 0xff80},
	}
	for _, c := range bf {
		if got := Float32ToBF16(c.in); got != c.want {
			t.Errorf("Float32ToBF16(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := Float32ToBF16(float32(math.NaN())); !math.IsNaN(float64(BF16ToFloat32(got))) {
		t.Errorf("Float32ToBF16(NaN) = %#04x, not NaN", got)
	}
	// A NaN whose payload lies only in the dropped bits must stay NaN.
	if got := Float32ToBF16(f(0x7f800001)); !math.IsNaN(float64(BF16ToFloat32(got))) {
		t.Errorf("Float32ToBF16(0x7f800001) = %#04x, not NaN", got)
	}

	h := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00},
		{1 + 1.0/2048, 0x3c00}, // tie, to even (down)
		{1 + 3.0/2048, 0x3c02}, // tie, to even (up)
		{65504, 0x7bff},        // largest finite
		{65519, 0x7bff},        // below the tie with 2^16
		{65520, 0x7c00},        // tie: rounds to infinity
		{1e6, 0x7c00},          // overflow
		{0x1p-14, 0x0400},      // smallest normal
		{0x1p-24, 0x0001},      // smallest subnormal
		{0x1p-25, 0x0000},      // tie between 0 and 2^-24: to even
		{0x1.8p-25, 0x0001},    // above the tie
		{0x1.8p-24, 0x0002},    // 1.5 * 2^-24: tie, to even (up)
		{0x1.ffcp-15, 0x0400},  // largest subnormal region rounding into the normals
		{1e-10, 0x0000},        // underflow
		{-2, 0xc000},
		{float32(math.Inf(1)), 0x7c00},
	}
	for _, c := range h {
		if got := Float32ToF16(c.in); got != c.want {
			t.Errorf("Float32ToF16(%g) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := Float32ToF16(float32(math.Copysign(0, -1))); got != 0x8000 {
		t.Errorf("Float32ToF16(-0) = %#04x, want 0x8000", got)
	}
	if got := Float32ToF16(float32(math.NaN())); !math.IsNaN(float64(F16ToFloat32(got))) {
		t.Errorf("Float32ToF16(NaN) = %#04x, not NaN", got)
	}
	if got := Float32ToF16(f(0x7f800001)); !math.IsNaN(float64(F16ToFloat32(got))) {
		t.Errorf("Float32ToF16(0x7f800001) = %#04x, not NaN", got)
	}
}

// TestHalfRoundTripExhaustive converts every 16-bit pattern to float32 and back.
func TestHalfRoundTripExhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		if f := F16ToFloat32(h); !math.IsNaN(float64(f)) {
			if back := Float32ToF16(f); back != h {
				t.Fatalf("F16 %#04x -> %g -> %#04x", h, f, back)
			}
		}
		if f := BF16ToFloat32(h); !math.IsNaN(float64(f)) {
			if back := Float32ToBF16(f); back != h {
				t.Fatalf("BF16 %#04x -> %g -> %#04x", h, f, back)
			}
		}
	}
}

// nearestHalf is a slow reference for round-to-nearest-even: it compares the
// value, in float64, with the two representable neighbours.
func nearestHalf(v float32, decode func(uint16) float32) uint16 {
	x := math.Abs(float64(v))
	var sign uint16
	if math.Signbit(float64(v)) {
		sign = 0x8000
	}
	// Positive patterns are ordered like their values; binary search the
	// largest pattern not above x.
	lo, hi := 0, 0x7f80
	if decode(0x7c00) == float32(math.Inf(1)) && decode(0x7f80) != float32(math.Inf(1)) {
		hi = 0x7c00 // binary16
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if float64(decode(uint16(mid))) <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	below := uint16(lo)
	if float64(decode(below)) == x || math.IsInf(float64(decode(below)), 1) {
		return sign | below
	}
	above := below + 1
	// The next pattern after the largest finite is infinity; treat it as 2^E
	// for the distance, as IEEE rounding does.
	up := float64(decode(above))
	if math.IsInf(up, 1) {
		up = 2*float64(decode(below)) - float64(decode(below-1))
	}
	dBelow, dAbove := x-float64(decode(below)), up-x
	switch {
	case dBelow < dAbove:
		return sign | below
	case dAbove < dBelow:
		return sign | above
	case below&1 == 0:
		return sign | below
	}
	return sign | above
}

func TestFloat32ToHalfMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		v := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(v)) {
			continue
		}
		if got, want := Float32ToF16(v), nearestHalf(v, F16ToFloat32); got != want {
			t.Fatalf("Float32ToF16(%g [%#08x]) = %#04x, want %#04x", v, math.Float32bits(v), got, want)
		}
		if got, want := Float32ToBF16(v), nearestHalf(v, BF16ToFloat32); got != want {
			t.Fatalf("Float32ToBF16(%g [%#08x]) = %#04x, want %#04x", v, math.Float32bits(v), got, want)
		}
	}
	// Values near the half range, where random bit patterns rarely land.
	for range 200_000 {
		v := float32((rng.Float64()*2 - 1) * math.Pow(2, rng.Float64()*44-28))
		if got, want := Float32ToF16(v), nearestHalf(v, F16ToFloat32); got != want {
			t.Fatalf("Float32ToF16(%g [%#08x]) = %#04x, want %#04x", v, math.Float32bits(v), got, want)
		}
	}
}
