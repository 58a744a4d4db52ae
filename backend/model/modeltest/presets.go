package modeltest

import "sort"

// tinyBase is the shape shared by the tiny test models: small enough that a float64
// reference runs them in a moment, large enough for GQA, two layers and quantization
// groups of 64.
func tinyBase(modelType string) Spec {
	return Spec{
		ModelType: modelType, HiddenSize: 64, IntermediateSize: 128, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 16, VocabSize: 256,
		MaxPositionEmbeddings: 512, RMSNormEps: 1e-5, RopeTheta: 10000,
		BOSTokenID: 1, EOSTokenIDs: []int{2}, Seed: 7,
	}
}

// Tiny returns the named tiny test model and whether the name is known. They cover
// each architecture, tied and separate output projections, llama3 rope scaling,
// explicit head_dim, 4- and 8-bit groups of 32 and 64 with per-module overrides, and
// unquantized BF16 and F16 weights.
func Tiny(name string) (Spec, bool) {
	s, ok := tinyPresets()[name]
	return s, ok
}

// TinyNames lists the tiny test models, sorted.
func TinyNames() []string {
	var names []string
	for n := range tinyPresets() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func tinyPresets() map[string]Spec {
	llamaQ4 := tinyBase("llama")
	llamaQ4.TieWordEmbeddings = true
	// An original context of 32 puts the llama3 scaling's smoothed band inside the
	// frequencies a head of 16 dimensions uses, so the test positions feel it.
	llamaQ4.RopeScaling = &RopeScaling{RopeType: "llama3", Factor: 8, LowFreqFactor: 1,
		HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 32}
	llamaQ4.Bits, llamaQ4.GroupSize = 4, 32
	llamaQ4.Overrides = map[string]*QuantParams{
		"model.layers.1.mlp.down_proj":    {GroupSize: 64, Bits: 8},
		"model.layers.0.self_attn.o_proj": nil,
	}

	llamaBF16 := tinyBase("llama")
	llamaBF16.HeadDim = 32 // explicit head_dim: q_proj is [128][64]
	llamaBF16.RopeTheta = 500000
	llamaBF16.Seed = 8

	qwen2Q8 := tinyBase("qwen2")
	qwen2Q8.NumKeyValueHeads = 1
	qwen2Q8.TieWordEmbeddings = true
	qwen2Q8.RMSNormEps = 1e-6
	qwen2Q8.RopeTheta = 1000000
	qwen2Q8.Bits, qwen2Q8.GroupSize = 8, 64
	qwen2Q8.Seed = 9

	qwen3Q4 := tinyBase("qwen3")
	qwen3Q4.HeadDim = 32
	qwen3Q4.RMSNormEps = 1e-6
	qwen3Q4.RopeTheta = 1000000
	qwen3Q4.Bits, qwen3Q4.GroupSize = 4, 64
	qwen3Q4.Seed = 10

	qwen3F16 := tinyBase("qwen3")
	qwen3F16.TieWordEmbeddings = true
	qwen3F16.DType = "F16"
	qwen3F16.Seed = 11

	return map[string]Spec{
		"tiny-llama-q4":   llamaQ4,
		"tiny-llama-bf16": llamaBF16,
		"tiny-qwen2-q8":   qwen2Q8,
		"tiny-qwen3-q4":   qwen3Q4,
		"tiny-qwen3-f16":  qwen3F16,
	}
}
