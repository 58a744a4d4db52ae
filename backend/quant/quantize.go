package quant

import (
	"fmt"
	"math"
	"slices"
)

// Quantize quantizes w ([rows][cols] row-major) the way mlx.core.quantize does
// in its default "affine" mode, returning the packed codes ([rows][cols*bits/32],
// lowest bits first), and the scales and biases ([rows][cols/groupSize]) as
// float32; the caller rounds them to the checkpoint's dtype (safetensors.EncodeBF16),
// as mlx casts them to the weight's dtype.
//
// It reproduces mlx's GPU kernel (affine_quantize in mlx/backend/metal/kernels/
// quantized.h), which produced the mlx-community checkpoints, in float32:
//
//	w_max = max(0, max(group)), w_min = min(group)
//	scale = max((w_max - w_min) / (2^bits - 1), 1e-7)
//	edge  = w_min if |w_min| > |w_max| else w_max, and scale is negated for w_max
//	q0    = round(edge / scale); if q0 != 0 { scale = edge / q0; bias = edge } else bias = 0
//	q     = min(round((w - bias) / scale), 2^bits - 1)
//
// with round half away from zero. Snapping the edge makes the group's largest
// magnitude exact. mlx's CPU kernel differs in two details (w_max starts at -inf,
// and it rounds half to even), so the two can disagree by one code on exact ties.
// Codes are also clamped at 0, which the GPU kernel leaves to the uint8 cast.
// It panics on a bits or group size outside SupportedBits and
// SupportedGroupSizes or on a shape that does not fit: that is a programming error.
func Quantize(w []float32, rows, cols, bits, groupSize int) (
	packed []uint32, scales, biases []float32) {
	if !slices.Contains(SupportedBits, bits) || !slices.Contains(SupportedGroupSizes, groupSize) ||
		cols%groupSize != 0 || len(w) != rows*cols {
		panic(fmt.Sprintf("quant.Quantize: %d floats as [%d][%d] with bits %d, group size %d",
			len(w), rows, cols, bits, groupSize))
	}
	nBins := float32(int(1)<<bits - 1)
	const eps = float32(1e-7)
	perWord := 32 / bits
	groups := rows * cols / groupSize
	packed = make([]uint32, rows*cols/perWord)
	scales = make([]float32, groups)
	biases = make([]float32, groups)

	for g := range groups {
		group := w[g*groupSize : (g+1)*groupSize]

		// Range of the group; w_max starts at 0 as in the GPU kernel.
		wMin, wMax := float32(math.MaxFloat32), float32(0)
		for _, v := range group {
			wMin, wMax = min(wMin, v), max(wMax, v)
		}

		// Scale and bias, with the dominant edge snapped to a code.
		scale := max((wMax-wMin)/nBins, eps)
		edge := wMax
		if abs32(wMin) > abs32(wMax) {
			edge = wMin
		} else {
			scale = -scale
		}
		var bias float32
		if q0 := float32(math.Round(float64(edge / scale))); q0 != 0 {
			scale = edge / q0
			bias = edge
		}
		scales[g], biases[g] = scale, bias

		// Codes, packed lowest first.
		for j, v := range group {
			q := float32(math.Round(float64((v - bias) / scale)))
			q = min(max(q, 0), nBins)
			k := g*groupSize + j
			packed[k/perWord] |= uint32(q) << (uint(k%perWord) * uint(bits))
		}
	}
	return packed, scales, biases
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
