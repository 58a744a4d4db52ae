package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

func TestNewAffineValidation(t *testing.T) {
	u32 := func(shape ...int) safetensors.Tensor {
		n := shape[0] * shape[1]
		return safetensors.Tensor{Name: "w.weight", DType: safetensors.U32, Shape: shape,
			Data: make([]byte, 4*n)}
	}
	bf := func(name string, shape ...int) safetensors.Tensor {
		return encodeAs(name, safetensors.BF16, shape, make([]float32, shape[0]*shape[1]))
	}
	cases := []struct {
		name        string
		w, s, b     safetensors.Tensor
		bits, group int
		want        string
	}{
		{"3 bits", u32(4, 12), bf("s", 4, 2), bf("b", 4, 2), 3, 64, "bits must be one of [2 4 8], got 3"},
		{"group 16", u32(4, 16), bf("s", 4, 8), bf("b", 4, 8), 4, 16, "group size must be one of [32 64 128], got 16"},
		{"weight dtype", bf("w.weight", 4, 16), bf("s", 4, 2), bf("b", 4, 2), 4, 64, "must be 2-D U32, got BF16"},
		{"weight 1-D", safetensors.Tensor{Name: "w.weight", DType: safetensors.U32, Shape: []int{16}, Data: make([]byte, 64)},
			bf("s", 4, 2), bf("b", 4, 2), 4, 64, "must be 2-D U32"},
		{"columns not a group multiple", u32(4, 12), bf("s", 4, 2), bf("b", 4, 2), 4, 64, "not a positive multiple of the group size 64"},
		{"scales rows", u32(4, 16), bf("w.scales", 3, 2), bf("w.biases", 4, 2), 4, 64, "w.scales: shape [3 2], want [4 2]"},
		{"biases groups", u32(4, 16), bf("w.scales", 4, 2), bf("w.biases", 4, 4), 4, 64, "w.biases: shape [4 4], want [4 2]"},
		{"dtype mismatch", u32(4, 16), bf("w.scales", 4, 2), encodeAs("w.biases", safetensors.F16, []int{4, 2}, make([]float32, 8)),
			4, 64, "w.scales is BF16 but w.biases is F16"},
		{"scales dtype", u32(4, 16), safetensors.Tensor{Name: "w.scales", DType: safetensors.I32, Shape: []int{4, 2}, Data: make([]byte, 32)},
			safetensors.Tensor{Name: "w.biases", DType: safetensors.I32, Shape: []int{4, 2}, Data: make([]byte, 32)},
			4, 64, "scales dtype must be BF16, F16 or F32, got I32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewAffine(c.w, c.s, c.b, c.bits, c.group)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestNewDenseValidation(t *testing.T) {
	_, err := NewDense(safetensors.Tensor{Name: "n.weight", DType: safetensors.F32, Shape: []int{4}, Data: make([]byte, 16)})
	if err == nil || !strings.Contains(err.Error(), "n.weight: dense weight must be 2-D") {
		t.Errorf("1-D: err = %v", err)
	}
	_, err = NewDense(safetensors.Tensor{Name: "n.weight", DType: safetensors.U32, Shape: []int{2, 2}, Data: make([]byte, 16)})
	if err == nil || !strings.Contains(err.Error(), "dtype must be F32, F16 or BF16, got U32") {
		t.Errorf("U32: err = %v", err)
	}
}

// TestAffineHandComputed checks the packing order and w = scale*q + bias on
// values worked out by hand.
func TestAffineHandComputed(t *testing.T) {
	// One row of 32 columns, 4-bit, one group: word k holds codes 8k..8k+7 mod 16,
	// element j of a word at bits 4j.
	words := []uint32{0x76543210, 0xfedcba98, 0x76543210, 0xfedcba98}
	w := safetensors.Tensor{Name: "w", DType: safetensors.U32, Shape: []int{1, 4}, Data: safetensors.EncodeU32(words)}
	s := encodeAs("s", safetensors.BF16, []int{1, 1}, []float32{0.5})
	b := encodeAs("b", safetensors.BF16, []int{1, 1}, []float32{-1})
	m, err := NewAffine(w, s, b, 4, 32)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, 32)
	m.DequantRow(0, row)
	for j, v := range row {
		if want := 0.5*float32(j%16) - 1; v != want {
			t.Errorf("element %d = %g, want %g", j, v, want)
		}
	}

	// x = 1 at columns 3 and 17: 0.5*3-1 + 0.5*1-1 = 0.
	x := make([]float32, 32)
	x[3], x[17] = 1, 1
	dst := []float32{7}
	MatMul(dst, m, x, 1)
	if dst[0] != 0 {
		t.Errorf("dot = %g, want 0", dst[0])
	}
	x[31] = 2 // + 2*(0.5*15-1) = 13
	MatMul(dst, m, x, 1)
	if dst[0] != 13 {
		t.Errorf("dot = %g, want 13", dst[0])
	}

	// 8-bit: word 0x04030201 holds codes 1, 2, 3, 4.
	w8 := safetensors.Tensor{Name: "w", DType: safetensors.U32, Shape: []int{1, 8},
		Data: safetensors.EncodeU32([]uint32{0x04030201, 0xff, 0, 0, 0, 0, 0, 0})}
	m8, err := NewAffine(w8, encodeAs("s", safetensors.F32, []int{1, 1}, []float32{0.25}),
		encodeAs("b", safetensors.F32, []int{1, 1}, []float32{1}), 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	m8.DequantRow(0, row)
	want := []float32{1.25, 1.5, 1.75, 2, 64.75, 1, 1, 1}
	if !slices.Equal(row[:8], want) {
		t.Errorf("8-bit row = %v, want %v", row[:8], want)
	}

	// 2-bit: codes 0, 1, 2, 3 repeating in each word 0xe4e4e4e4.
	w2 := safetensors.Tensor{Name: "w", DType: safetensors.U32, Shape: []int{1, 2},
		Data: safetensors.EncodeU32([]uint32{0xe4e4e4e4, 0xe4e4e4e4})}
	m2, err := NewAffine(w2, encodeAs("s", safetensors.F16, []int{1, 1}, []float32{2}),
		encodeAs("b", safetensors.F16, []int{1, 1}, []float32{-3}), 2, 32)
	if err != nil {
		t.Fatal(err)
	}
	m2.DequantRow(0, row)
	for j, v := range row {
		if want := 2*float32(j%4) - 3; v != want {
			t.Errorf("2-bit element %d = %g, want %g", j, v, want)
		}
	}
}

// kernelCase is one shape and layout of the conformance table.
type kernelCase struct {
	name  string
	m     Matrix
	rowAt func(i int) int // which rows to check against the reference (all if nil)
}

// conformanceCases lists every matrix layout at small shapes and the real
// Llama-3.2-1B shapes in 4-bit group 64 BF16.
func conformanceCases(rng *rand.Rand, short bool) []kernelCase {
	var cases []kernelCase
	shapes := [][2]int{{1, 128}, {3, 256}, {17, 384}, {70, 640}}
	for _, dtype := range []safetensors.DType{safetensors.BF16, safetensors.F16, safetensors.F32} {
		for _, bits := range SupportedBits {
			for _, group := range SupportedGroupSizes {
				for _, s := range shapes {
					cases = append(cases, kernelCase{
						name: fmt.Sprintf("affine/%dbit/g%d/%s/%dx%d", bits, group, dtype, s[0], s[1]),
						m:    randomAffine(rng, s[0], s[1], bits, group, dtype),
					})
				}
			}
		}
		for _, s := range append(shapes, [2]int{5, 100}) {
			cases = append(cases, kernelCase{
				name: fmt.Sprintf("dense/%s/%dx%d", dtype, s[0], s[1]),
				m:    randomDense(rng, s[0], s[1], dtype),
			})
		}
	}
	cases = append(cases, kernelCase{name: "generic/4bit/g64/33x256",
		m: opaque{randomAffine(rng, 33, 256, 4, 64, safetensors.BF16)}})

	real := [][2]int{{2048, 2048}, {512, 2048}, {8192, 2048}, {2048, 8192}, {128256, 2048}}
	if short {
		real = real[:2]
	}
	for _, s := range real {
		cases = append(cases, kernelCase{
			name:  fmt.Sprintf("affine/4bit/g64/BF16/%dx%d", s[0], s[1]),
			m:     randomAffine(rng, s[0], s[1], 4, 64, safetensors.BF16),
			rowAt: func(i int) int { return i * 131 }, // every 131st row
		})
	}
	cases = append(cases, kernelCase{name: "affine/8bit/g64/BF16/512x2048",
		m: randomAffine(rng, 512, 2048, 8, 64, safetensors.BF16)})
	return cases
}

// TestKernelConformance runs every kernel path (one vector, a batch within one
// vector block, a batch spanning blocks) over the conformance table against
// MatMulRef. Tolerance: |got - ref| <= 1e-5 * sum_j |w_j x_j|, a bound on the
// float32 rounding of the eight-lane sums at these lengths (the observed
// worst case is logged).
func TestKernelConformance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const tol = 1e-5
	for _, c := range conformanceCases(rng, testing.Short()) {
		t.Run(c.name, func(t *testing.T) {
			rows, cols := c.m.Rows(), c.m.Cols()
			const nMax = 11
			x := randomVector(rng, nMax*cols, 1)
			checkRows := rows
			rowOf := func(i int) int { return i }
			if c.rowAt != nil {
				checkRows = (rows + 130) / 131
				rowOf = c.rowAt
			}

			// Reference and magnitude, on the checked rows only.
			ref := make([]float64, nMax*checkRows)
			mag := make([]float64, nMax*checkRows)
			row := make([]float32, cols)
			sub := subRows{m: c.m, rows: checkRows, rowOf: rowOf}
			MatMulRef(ref, sub, x, nMax)
			for i := range checkRows {
				sub.DequantRow(i, row)
				for b := range nMax {
					for j, w := range row {
						mag[b*checkRows+i] += math.Abs(float64(w) * float64(x[b*cols+j]))
					}
				}
			}

			var worst float64
			for _, n := range []int{1, 5, nMax} {
				dst := make([]float32, n*rows)
				MatMul(dst, c.m, x, n)
				for b := range n {
					for i := range checkRows {
						got := float64(dst[b*rows+rowOf(i)])
						want, m := ref[b*checkRows+i], mag[b*checkRows+i]
						if d := math.Abs(got - want); d > tol*m+1e-30 {
							t.Fatalf("n=%d vector %d row %d: got %.9g, want %.9g (|diff| %.3g > %.3g)",
								n, b, rowOf(i), got, want, d, tol*m)
						} else if m > 0 {
							worst = max(worst, d/m)
						}
					}
				}
			}
			if c.rowAt != nil || cols >= 640 {
				t.Logf("worst |diff| / sum|w x| = %.3g", worst)
			}
		})
	}
}

// subRows exposes selected rows of a matrix, so the reference runs on a sample.
type subRows struct {
	m     Matrix
	rows  int
	rowOf func(int) int
}

func (s subRows) Rows() int          { return s.rows }
func (s subRows) Cols() int          { return s.m.Cols() }
func (s subRows) WeightBytes() int64 { return 0 }
func (s subRows) DequantRow(i int, dst []float32) {
	if a, ok := s.m.(*Affine); ok {
		// Full precision for the reference: scale*q + bias in float64 is
		// exact enough that rounding to float32 loses nothing we compare.
		r := s.rowOf(i)
		for j := range dst[:a.cols] {
			scale, bias := a.scaleBias(r*a.groupsPerRow + j/a.groupSize)
			dst[j] = float32(float64(scale)*float64(a.code(r, j)) + float64(bias))
		}
		return
	}
	s.m.DequantRow(s.rowOf(i), dst)
}

// TestMatMulDeterminism checks that every (row, vector) result has the same
// bits whatever the batch it is computed in and whatever GOMAXPROCS is.
func TestMatMulDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	mats := []Matrix{
		randomAffine(rng, 1000, 2048, 4, 64, safetensors.BF16),
		randomAffine(rng, 300, 512, 8, 32, safetensors.F16),
		randomAffine(rng, 129, 256, 2, 128, safetensors.F32),
		randomDense(rng, 500, 384, safetensors.BF16),
		randomDense(rng, 77, 256, safetensors.F32),
		opaque{randomAffine(rng, 40, 128, 4, 32, safetensors.BF16)},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for mi, m := range mats {
		rows, cols := m.Rows(), m.Cols()
		const n = 13
		x := randomVector(rng, n*cols, 2)

		runtime.GOMAXPROCS(1)
		want := make([]float32, n*rows)
		MatMul(want, m, x, n)

		for _, procs := range []int{1, 2, 3, 7} {
			runtime.GOMAXPROCS(procs)
			// Alone, one vector at a time.
			for b := range n {
				got := make([]float32, rows)
				MatMul(got, m, x[b*cols:(b+1)*cols], 1)
				assertSameBits(t, fmt.Sprintf("matrix %d procs %d vector %d alone", mi, procs, b),
					got, want[b*rows:(b+1)*rows])
			}
			// In batches of 5 starting at every offset.
			for off := 0; off+5 <= n; off += 4 {
				got := make([]float32, 5*rows)
				MatMul(got, m, x[off*cols:(off+5)*cols], 5)
				assertSameBits(t, fmt.Sprintf("matrix %d procs %d batch of 5 at %d", mi, procs, off),
					got, want[off*rows:(off+5)*rows])
			}
			// All at once.
			got := make([]float32, n*rows)
			MatMul(got, m, x, n)
			assertSameBits(t, fmt.Sprintf("matrix %d procs %d batch of %d", mi, procs, n), got, want)
		}
	}
}

func assertSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %x, want %x", what, i,
				math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
}

func TestMatMulAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	mats := map[string]Matrix{
		"4-bit":      randomAffine(rng, 512, 2048, 4, 64, safetensors.BF16),
		"8-bit":      randomAffine(rng, 512, 2048, 8, 64, safetensors.F16),
		"dense BF16": randomDense(rng, 512, 2048, safetensors.BF16),
	}
	xs := [2][]float32{randomVector(rng, 12*2048, 1), randomVector(rng, 12*2048, 1)}
	dst := make([]float32, 12*512)
	for name, m := range mats {
		for _, n := range []int{1, 5, 12} {
			MatMul(dst, m, xs[0], n) // grow the pool's buffers
			i := 0
			allocs := testing.AllocsPerRun(10, func() {
				MatMul(dst, m, xs[i%2], n)
				i++
			})
			if allocs != 0 {
				t.Errorf("%s n=%d: %v allocations per call, want 0", name, n, allocs)
			}
		}
	}
}

func TestMatMulPanicsOnShortBuffers(t *testing.T) {
	m := randomDense(rand.New(rand.NewPCG(1, 1)), 4, 8, safetensors.F32)
	defer func() {
		if recover() == nil {
			t.Error("MatMul with a short dst did not panic")
		}
	}()
	MatMul(make([]float32, 3), m, make([]float32, 8), 1)
}

func TestWeightBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	// 8192x2048 4-bit g64 BF16: 8 MiB of codes + 2 * 8192*32 * 2 bytes.
	m := randomAffine(rng, 8192, 2048, 4, 64, safetensors.BF16)
	if got, want := m.WeightBytes(), int64(8<<20+2*8192*32*2); got != want {
		t.Errorf("affine WeightBytes = %d, want %d", got, want)
	}
	if got := randomDense(rng, 3, 8, safetensors.BF16).WeightBytes(); got != 48 {
		t.Errorf("dense WeightBytes = %d, want 48", got)
	}
}

func TestMeasureReadBandwidth(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 1 GiB several times")
	}
	bw := MeasureReadBandwidth()
	if bw < 0.1 || bw > 10000 {
		t.Errorf("bandwidth %.2f GB/s is not plausible", bw)
	}
	t.Logf("read bandwidth %.1f GB/s with GOMAXPROCS=%d", bw, runtime.GOMAXPROCS(0))
}

// TestPairTablesFollowInput checks that the pair tables shared by calls with
// the same input are rebuilt when the input changes in place.
func TestPairTablesFollowInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	q := randomAffine(rng, 64, 256, 4, 64, safetensors.BF16)
	k := randomAffine(rng, 32, 256, 4, 64, safetensors.BF16)
	x := randomVector(rng, 2*256, 1)
	check := func(what string, m Matrix, n int) {
		got := make([]float32, n*m.Rows())
		MatMul(got, m, x, n)
		ref := make([]float64, n*m.Rows())
		MatMulRef(ref, m, x, n)
		for i := range got {
			if math.Abs(float64(got[i])-ref[i]) > 1e-4 {
				t.Fatalf("%s: element %d = %g, want %g", what, i, got[i], ref[i])
			}
		}
	}
	check("q", q, 1)
	check("k with the same input", k, 1)
	x[7] = -x[7]
	check("k after the input changed in place", k, 1)
	check("q with two vectors", q, 2)
	x[256+3] += 1
	check("q after the second vector changed", q, 2)
}

// TestMatMulConcurrentCallers checks that calls from several goroutines at
// once (serialized inside) each get their own correct result.
func TestMatMulConcurrentCallers(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	mats := []Matrix{
		randomAffine(rng, 300, 512, 4, 64, safetensors.BF16),
		randomAffine(rng, 200, 256, 8, 32, safetensors.BF16),
		randomDense(rng, 100, 256, safetensors.F32),
		randomAffine(rng, 300, 512, 4, 64, safetensors.BF16),
	}
	xs := make([][]float32, len(mats))
	want := make([][]float32, len(mats))
	for i, m := range mats {
		xs[i] = randomVector(rng, 3*m.Cols(), 1)
		want[i] = make([]float32, 3*m.Rows())
		MatMul(want[i], m, xs[i], 3)
	}
	var wg sync.WaitGroup
	for i, m := range mats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]float32, 3*m.Rows())
			for range 20 {
				MatMul(got, m, xs[i], 3)
				for k := range got {
					if math.Float32bits(got[k]) != math.Float32bits(want[i][k]) {
						t.Errorf("caller %d: element %d = %g, want %g", i, k, got[k], want[i][k])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestPairTableVariants checks that the lookups of the 4-bit kernel (the
// generic loop, used for other group sizes and big-endian hosts; the unrolled
// lone vector; the unrolled pair of vectors) give the same bits, that the
// fixed-point dot products are accurate, and that extreme inputs neither
// overflow the packed halves nor lose NaN.
func TestPairTableVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	inputs := map[string][]float32{
		"uniform":   randomVector(rng, 3*64, 3),
		"outlier":   append(append(randomVector(rng, 63, 0.01), 500), randomVector(rng, 128, 1)...),
		"largest":   slices.Repeat([]float32{math.MaxFloat32 / 2048}, 3*64),
		"subnormal": slices.Repeat([]float32{1e-45, -3e-44}, 3*32),
		"zeros":     make([]float32, 3*64),
	}
	for name, x := range inputs {
		var ft fixedTables
		ft.reset(3, 64, 64) // one pair (vectors 0 and 1) and a lone vector 2
		ft.build(x, 0, 0, 1)
		ft.build(x, 1, 0, 1)
		logP, bias := tableShape(64)
		pb := int64(bias) << logP
		for range 100 {
			words := make([]uint32, 8)
			for i := range words {
				words[i] = rng.Uint32()
			}
			if rng.IntN(4) == 0 {
				for i := range words {
					words[i] = 0xffffffff // every code 15: the largest sums
				}
			}
			one, zero := []float32{1}, []float32{0}
			pair := [2][]float32{{0}, {0}}
			addGroup64Pair(pair[0], pair[1], one, zero, 0, 0, ft.inv[0], ft.inv[1], pb, words, 8,
				(*[8192]uint64)(ft.pairs))
			lone := []float32{0}
			addGroup64(lone, one, zero, 0, ft.inv[2], pb, words, 8, (*[8192]uint32)(ft.single))
			sums := [3]float32{
				groupDot(uint32(sumEntries(words, ft.pairs)), pb, ft.inv[0]),
				groupDot(uint32(sumEntries(words, ft.pairs)>>32), pb, ft.inv[1]),
				groupDot(sumEntries(words, ft.single), pb, ft.inv[2]),
			}
			got := [3]float32{pair[0][0], pair[1][0], lone[0]}
			for v := range 3 {
				if math.Float32bits(got[v]) != math.Float32bits(sums[v]) {
					t.Fatalf("%s vector %d: unrolled %g, loop %g", name, v, got[v], sums[v])
				}
				// Against float64: each of the 32 entries is rounded by at
				// most half a unit of 2^-S < 15*max(|x0|+|x1|)*2^-24, and
				// the result once more to float32.
				var want, m float64
				for j := range 64 {
					q := float64(words[j/8] >> (4 * (j % 8)) & 15)
					want += q * float64(x[v*64+j])
				}
				for k := range 32 {
					m = max(m, 15*(math.Abs(float64(x[v*64+2*k]))+math.Abs(float64(x[v*64+2*k+1]))))
				}
				bound := 32*0.5*m*0x1p-24 + math.Abs(want)*0x1p-24
				if d := math.Abs(float64(got[v]) - want); d > bound {
					t.Fatalf("%s vector %d: %g, want %g (|diff| %g > %g)", name, v, got[v], want,
						d, bound)
				}
			}
		}
	}

	// Inf and NaN make the group's result NaN.
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
		x := randomVector(rng, 64, 1)
		x[5] = bad
		var ft fixedTables
		ft.reset(1, 64, 64)
		ft.build(x, 0, 0, 1)
		logP, bias := tableShape(64)
		out := []float32{0}
		addGroup64(out, []float32{1}, []float32{0}, 0, ft.inv[0], int64(bias)<<logP,
			make([]uint32, 8), 8, (*[8192]uint32)(ft.single))
		if !math.IsNaN(float64(out[0])) {
			t.Errorf("x holding %g: result %g, want NaN", bad, out[0])
		}
	}
}
