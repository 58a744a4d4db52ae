package quant

import (
	"math/rand/v2"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// encodeAs returns v as a tensor of the given float dtype.
func encodeAs(name string, dtype safetensors.DType, shape []int, v []float32) safetensors.Tensor {
	var data []byte
	switch dtype {
	case safetensors.F32:
		data = safetensors.EncodeF32(v)
	case safetensors.F16:
		data = safetensors.EncodeF16(v)
	case safetensors.BF16:
		data = safetensors.EncodeBF16(v)
	}
	return safetensors.Tensor{Name: name, DType: dtype, Shape: shape, Data: data}
}

// randomAffine builds an affine matrix with uniformly random codes and scales
// and biases of a realistic size (weights around ±0.05) in the given dtype.
func randomAffine(rng *rand.Rand, rows, cols, bits, groupSize int,
	dtype safetensors.DType) *Affine {
	words := make([]uint32, rows*cols*bits/32)
	for i := range words {
		words[i] = rng.Uint32()
	}
	groups := rows * cols / groupSize
	scales := make([]float32, groups)
	biases := make([]float32, groups)
	levels := float32(int(1)<<bits - 1)
	for i := range scales {
		scales[i] = (0.05 + 0.05*rng.Float32()) / levels
		if rng.IntN(2) == 0 {
			scales[i] = -scales[i]
		}
		biases[i] = -scales[i] * levels / 2 * (0.8 + 0.4*rng.Float32())
	}
	w := safetensors.Tensor{Name: "w.weight", DType: safetensors.U32,
		Shape: []int{rows, cols * bits / 32}, Data: safetensors.EncodeU32(words)}
	gs := []int{rows, cols / groupSize}
	m, err := NewAffine(w, encodeAs("w.scales", dtype, gs, scales),
		encodeAs("w.biases", dtype, gs, biases), bits, groupSize)
	if err != nil {
		panic(err)
	}
	return m.(*Affine)
}

// randomDense builds a dense matrix with weights uniform in ±0.1.
func randomDense(rng *rand.Rand, rows, cols int, dtype safetensors.DType) *Dense {
	w := randomVector(rng, rows*cols, 0.1)
	m, err := NewDense(encodeAs("w.weight", dtype, []int{rows, cols}, w))
	if err != nil {
		panic(err)
	}
	return m.(*Dense)
}

// randomVector returns n floats uniform in ±scale.
func randomVector(rng *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = (2*rng.Float32() - 1) * scale
	}
	return v
}

// opaque hides a matrix's concrete type so MatMul takes its generic path.
type opaque struct{ Matrix }
