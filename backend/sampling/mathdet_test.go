package sampling

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns the distance between a and b in units in the last place.
func ulps(a, b float64) int64 {
	d := int64(math.Float64bits(a)) - int64(math.Float64bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

func TestExpDetAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst := int64(0)
	for range 200000 {
		x := -r.Float64() * 700
		if r.IntN(4) == 0 {
			x = -r.Float64() * 2
		}
		got, want := expDet(x), math.Exp(x)
		worst = max(worst, ulps(got, want))
	}
	if worst > 2 {
		t.Errorf("expDet is %d ulp from math.Exp at worst, want <= 2", worst)
	}
	for _, c := range []struct{ x, want float64 }{
		{0, 1}, {-0.0, 1}, {3, 1}, {-800, 0}, {math.Inf(-1), 0},
	} {
		if got := expDet(c.x); got != c.want {
			t.Errorf("expDet(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// Subnormal range stays within a relative 1e-6 (few significant bits remain).
	if got, want := expDet(-740), math.Exp(-740); math.Abs(got-want) > 1e-6*want {
		t.Errorf("expDet(-740) = %g, want %g", got, want)
	}
}

func TestExpDetMonotone(t *testing.T) {
	prev := 0.0
	for x := -50.0; x <= 0; x += 1.0 / 4096 {
		v := expDet(x)
		if v < prev {
			t.Fatalf("expDet decreases at %v: %v after %v", x, v, prev)
		}
		prev = v
	}
}

// TestExpDetBits pins results bit for bit: the same numbers must come out on every
// architecture (this runs on amd64 in CI and arm64 on a Mac).
func TestExpDetBits(t *testing.T) {
	for _, c := range []struct {
		x    float64
		bits uint64
	}{
		{-1, 0x3fd78b56362cef38},
		{-0.1, 0x3fecf46d99d52b3b},
		{-12.345678, 0x3ed23d2c7da10724},
		{-123.456, 0x34cda9fb9e4ee71f},
	} {
		if got := math.Float64bits(expDet(c.x)); got != c.bits {
			t.Errorf("expDet(%v) bits = %#x, want %#x", c.x, got, c.bits)
		}
	}
}

func TestLogDet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		x := math.Exp((r.Float64() - 0.5) * 100)
		if got, want := logDet(x), math.Log(x); math.Abs(got-want) > 4e-16*math.Max(1, math.Abs(want)) {
			t.Fatalf("logDet(%g) = %v, want %v", x, got, want)
		}
	}
	if got := logDet(1); got != 0 {
		t.Errorf("logDet(1) = %v, want 0", got)
	}
}
