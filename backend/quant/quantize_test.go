package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// codesOf unpacks the codes of Quantize's output.
func codesOf(packed []uint32, bits, n int) []int {
	perWord := 32 / bits
	out := make([]int, n)
	for i := range out {
		out[i] = int(packed[i/perWord] >> (uint(i%perWord) * uint(bits)) & (1<<bits - 1))
	}
	return out
}

func TestQuantizeHandComputed(t *testing.T) {
	// Group [0, 15] in 4 bits: w_max dominates, so scale = -(15-0)/15 = -1,
	// edge 15 gives q0 = -15, scale = 15/-15 = -1, bias = 15, and q = 15 - w.
	// 2.5 sits on a tie (12.5): half away from zero gives 13 (rint would give 12).
	w := make([]float32, 32)
	for i := range w {
		w[i] = float32(i % 16)
	}
	w[5] = 2.5
	w[6] = 3.5
	packed, scales, biases := Quantize(w, 1, 32, 4, 32)
	if scales[0] != -1 || biases[0] != 15 {
		t.Fatalf("scale, bias = %g, %g; want -1, 15", scales[0], biases[0])
	}
	codes := codesOf(packed, 4, 32)
	for i, c := range codes {
		want := 15 - i%16
		switch i {
		case 5:
			want = 13
		case 6:
			want = 12 // 11.5 rounds away from zero
		}
		if c != want {
			t.Errorf("code %d = %d, want %d", i, c, want)
		}
	}

	// An all-negative group: w_max starts at 0 as in mlx's GPU kernel, so the
	// range is [-3, 0]: |w_min| dominates, scale = 3/15 = 0.2, q0 = round(-3/0.2)
	// = -15, scale = -3/-15 = 0.2, bias = -3; -1 maps to round(2/0.2) = 10.
	neg := make([]float32, 32)
	for i := range neg {
		neg[i] = -1
	}
	neg[0] = -3
	packed, scales, biases = Quantize(neg, 1, 32, 4, 32)
	if scales[0] != float32(-3)/-15 || biases[0] != -3 {
		t.Fatalf("negative group: scale, bias = %g, %g; want 0.2, -3", scales[0], biases[0])
	}
	if c := codesOf(packed, 4, 2); c[0] != 0 || c[1] != 10 {
		t.Errorf("negative group codes = %v, want [0 10]", c)
	}

	// A constant zero group: scale is eps, q0 = 0, bias 0, codes 0.
	packed, scales, biases = Quantize(make([]float32, 64), 1, 64, 8, 64)
	if scales[0] != -1e-7 || biases[0] != 0 || packed[0] != 0 {
		t.Errorf("zero group: scale %g bias %g codes %#x", scales[0], biases[0], packed[0])
	}
}

// TestQuantizeRoundTrip checks that dequantized values are within half a step
// of the input, for every layout, except where mlx's algorithm clips: the
// dominant end of a group's range is snapped to a code, which can leave the
// other end outside the representable range, and such values take the end
// code. DequantRow must return the same values.
func TestQuantizeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, bits := range SupportedBits {
		for _, group := range SupportedGroupSizes {
			rows, cols := 6, 256
			w := make([]float32, rows*cols)
			for i := range w {
				w[i] = float32(rng.NormFloat64()) * 0.02
			}
			packed, scales, biases := Quantize(w, rows, cols, bits, group)
			codes := codesOf(packed, bits, len(w))
			top := 1<<bits - 1
			for i, v := range w {
				g := i / group
				q := codes[i]
				back := float64(scales[g])*float64(q) + float64(biases[g])
				// Beyond the end code, in the direction the scale points.
				step := float64(scales[g])
				beyond := (q == top && (float64(v)-back)*step > 0) || (q == 0 && (float64(v)-back)*step < 0)
				if d := math.Abs(back - float64(v)); d > math.Abs(step)/2*1.0001 && !beyond {
					t.Fatalf("bits %d group %d element %d: %g -> %g, off by %g (scale %g)",
						bits, group, i, v, back, d, scales[g])
				}
			}

			// Through a checkpoint-like F32 matrix, DequantRow returns the same values.
			gs := []int{rows, cols / group}
			m, err := NewAffine(
				safetensors.Tensor{Name: "w", DType: safetensors.U32, Shape: []int{rows, cols * bits / 32},
					Data: safetensors.EncodeU32(packed)},
				encodeAs("s", safetensors.F32, gs, scales), encodeAs("b", safetensors.F32, gs, biases),
				bits, group)
			if err != nil {
				t.Fatal(err)
			}
			row := make([]float32, cols)
			m.DequantRow(2, row)
			for j, v := range row {
				g := (2*cols + j) / group
				want := float32(float64(scales[g])*float64(codes[2*cols+j]) + float64(biases[g]))
				if v != want {
					t.Fatalf("DequantRow(2)[%d] = %g, want %g", j, v, want)
				}
			}
		}
	}
}

func TestQuantizePanicsOnBadLayout(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Quantize with 3 bits did not panic")
		}
	}()
	Quantize(make([]float32, 64), 1, 64, 3, 64)
}
