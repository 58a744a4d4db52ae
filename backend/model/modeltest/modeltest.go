// Package modeltest writes random-weight checkpoints in the exact layout mlx-community
// publishes (config.json with a quantization block, model.safetensors with
// {"format": "mlx"} metadata, optional tokenizer files), for any shape, quantized or
// not. The weights are a pure function of the Spec, seed included, so tests and
// benchmarks can regenerate the same bytes.
package modeltest

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/knobs-app/knobs/backend/quant"
	"github.com/knobs-app/knobs/backend/safetensors"
)

// Spec is the shape and storage of a random checkpoint. Field names follow config.json.
type Spec struct {
	ModelType             string // "llama", "qwen2" or "qwen3"
	HiddenSize            int
	IntermediateSize      int
	NumHiddenLayers       int
	NumAttentionHeads     int
	NumKeyValueHeads      int
	HeadDim               int
	VocabSize             int
	MaxPositionEmbeddings int
	RMSNormEps            float64
	RopeTheta             float64
	// RopeScaling is written as config.json's rope_scaling block when not nil.
	RopeScaling *RopeScaling
	// TieWordEmbeddings leaves lm_head out and reuses model.embed_tokens.
	TieWordEmbeddings bool
	BOSTokenID        int
	EOSTokenIDs       []int

	// Bits and GroupSize quantize every linear layer and the embeddings as mlx-lm's
	// quantize does (affine, scales and biases in DType); Bits 0 writes no quantized
	// tensor.
	Bits, GroupSize int
	// Overrides sets per-module quantization ("model.layers.0.mlp.down_proj"); a nil
	// value keeps that module unquantized. Written into the quantization block.
	Overrides map[string]*QuantParams
	// DType is the float type of unquantized tensors, scales and biases: "BF16"
	// (default, as mlx-community), "F16" or "F32".
	DType string

	// Seed picks the weights.
	Seed uint64
	// Files are extra files (tokenizer.json, tokenizer_config.json ...) written as is.
	Files map[string][]byte
}

// RopeScaling is the llama3 rope_scaling block.
type RopeScaling struct {
	RopeType                      string  `json:"rope_type"`
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
}

// QuantParams are one module's quantization parameters.
type QuantParams struct {
	GroupSize int `json:"group_size"`
	Bits      int `json:"bits"`
}

// Llama32_1B returns the exact shape of mlx-community/Llama-3.2-1B-Instruct-4bit:
// hidden 2048, intermediate 8192, 16 layers, 32 heads, 8 KV heads, head_dim 64,
// vocab 128256, tied embeddings, 4-bit groups of 64, llama3 rope scaling.
func Llama32_1B() Spec {
	return Spec{
		ModelType: "llama", HiddenSize: 2048, IntermediateSize: 8192, NumHiddenLayers: 16,
		NumAttentionHeads: 32, NumKeyValueHeads: 8, HeadDim: 64, VocabSize: 128256,
		MaxPositionEmbeddings: 131072, RMSNormEps: 1e-5, RopeTheta: 500000,
		RopeScaling: &RopeScaling{RopeType: "llama3", Factor: 32, LowFreqFactor: 1,
			HighFreqFactor: 4, OriginalMaxPositionEmbeddings: 8192},
		TieWordEmbeddings: true, BOSTokenID: 128000, EOSTokenIDs: []int{128001, 128008, 128009},
		Bits: 4, GroupSize: 64, Seed: 1,
	}
}

// Write creates dir (if needed) and writes the checkpoint of s into it.
func Write(dir string, s Spec) error {
	if err := s.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	cfg, err := json.MarshalIndent(s.config(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), append(cfg, '\n'), 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	tensors, err := s.tensors()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "model.safetensors")
	if err := safetensors.WriteFile(path, tensors, map[string]string{"format": "mlx"}); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	names := make([]string, 0, len(s.Files))
	for name := range s.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), s.Files[name], 0o644); err != nil {
			return fmt.Errorf("write model: %w", err)
		}
	}
	return nil
}

func (s *Spec) validate() error {
	switch s.ModelType {
	case "llama", "qwen2", "qwen3":
	default:
		return fmt.Errorf("modeltest: model type %q, want llama, qwen2 or qwen3", s.ModelType)
	}
	if s.HiddenSize <= 0 || s.IntermediateSize <= 0 || s.NumHiddenLayers <= 0 ||
		s.NumAttentionHeads <= 0 || s.NumKeyValueHeads <= 0 || s.HeadDim <= 0 || s.VocabSize <= 0 {
		return errors.New("modeltest: every dimension must be positive")
	}
	switch s.DType {
	case "", "BF16", "F16", "F32":
	default:
		return fmt.Errorf("modeltest: dtype %q, want BF16, F16 or F32", s.DType)
	}
	return nil
}

// config returns config.json's contents as mlx-lm's convert writes them.
func (s *Spec) config() map[string]any {
	arch := map[string]string{
		"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
	}[s.ModelType]
	cfg := map[string]any{
		"architectures":           []string{arch},
		"model_type":              s.ModelType,
		"hidden_size":             s.HiddenSize,
		"intermediate_size":       s.IntermediateSize,
		"num_hidden_layers":       s.NumHiddenLayers,
		"num_attention_heads":     s.NumAttentionHeads,
		"num_key_value_heads":     s.NumKeyValueHeads,
		"head_dim":                s.HeadDim,
		"vocab_size":              s.VocabSize,
		"max_position_embeddings": s.MaxPositionEmbeddings,
		"rms_norm_eps":            s.RMSNormEps,
		"rope_theta":              s.RopeTheta,
		"tie_word_embeddings":     s.TieWordEmbeddings,
		"hidden_act":              "silu",
		"bos_token_id":            s.BOSTokenID,
		"torch_dtype":             "bfloat16",
	}
	switch len(s.EOSTokenIDs) {
	case 0:
	case 1:
		cfg["eos_token_id"] = s.EOSTokenIDs[0]
	default:
		cfg["eos_token_id"] = s.EOSTokenIDs
	}
	if s.ModelType == "llama" {
		cfg["attention_bias"] = false
		cfg["mlp_bias"] = false
	}
	if s.RopeScaling != nil {
		cfg["rope_scaling"] = s.RopeScaling
	}
	if s.Bits > 0 {
		q := map[string]any{"group_size": s.GroupSize, "bits": s.Bits}
		for k, p := range s.Overrides {
			if p == nil {
				q[k] = false
			} else {
				q[k] = p
			}
		}
		// mlx-lm writes the block twice, the second for transformers' benefit.
		cfg["quantization"] = q
		cfg["quantization_config"] = q
	}
	return cfg
}

// param is one tensor to generate: a matrix of a linear module or a vector.
type param struct {
	name       string  // full tensor name for vectors; module path for matrices
	rows, cols int     // cols == 0 for a vector of rows elements
	mean, std  float64 // element distribution
	linear     bool
}

// params lists every tensor of the checkpoint with the distribution of its elements:
// linear weights N(0, 1/in) so activations keep their scale, embeddings N(0, 0.25) so
// the tied logits are spread out, norms around 1, biases small.
func (s *Spec) params() []param {
	qDim, kvDim := s.NumAttentionHeads*s.HeadDim, s.NumKeyValueHeads*s.HeadDim
	h, in := s.HiddenSize, s.IntermediateSize
	lin := func(name string, rows, cols int) param {
		return param{name: name, rows: rows, cols: cols, std: 1 / math.Sqrt(float64(cols)), linear: true}
	}
	vec := func(name string, n int, mean, std float64) param {
		return param{name: name, rows: n, mean: mean, std: std}
	}
	ps := []param{{name: "model.embed_tokens", rows: s.VocabSize, cols: h, std: 0.5, linear: true}}
	for i := 0; i < s.NumHiddenLayers; i++ {
		p := fmt.Sprintf("model.layers.%d.", i)
		ps = append(ps,
			vec(p+"input_layernorm.weight", h, 1, 0.1),
			lin(p+"self_attn.q_proj", qDim, h),
			lin(p+"self_attn.k_proj", kvDim, h),
			lin(p+"self_attn.v_proj", kvDim, h),
			lin(p+"self_attn.o_proj", h, qDim),
			vec(p+"post_attention_layernorm.weight", h, 1, 0.1),
			lin(p+"mlp.gate_proj", in, h),
			lin(p+"mlp.up_proj", in, h),
			lin(p+"mlp.down_proj", h, in))
		if s.ModelType == "qwen2" {
			ps = append(ps,
				vec(p+"self_attn.q_proj.bias", qDim, 0, 0.1),
				vec(p+"self_attn.k_proj.bias", kvDim, 0, 0.1),
				vec(p+"self_attn.v_proj.bias", kvDim, 0, 0.1))
		}
		if s.ModelType == "qwen3" {
			ps = append(ps,
				vec(p+"self_attn.q_norm.weight", s.HeadDim, 1, 0.1),
				vec(p+"self_attn.k_norm.weight", s.HeadDim, 1, 0.1))
		}
	}
	ps = append(ps, vec("model.norm.weight", h, 1, 0.1))
	if !s.TieWordEmbeddings {
		ps = append(ps, param{name: "lm_head", rows: s.VocabSize, cols: h, std: 0.5, linear: true})
	}
	return ps
}

// tensors generates every tensor, spreading the parameters over the CPUs. Each
// parameter has its own random stream, so the result does not depend on the order.
func (s *Spec) tensors() ([]safetensors.Tensor, error) {
	ps := s.params()
	out := make([][]safetensors.Tensor, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = s.generate(p)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all []safetensors.Tensor
	for _, ts := range out {
		all = append(all, ts...)
	}
	return all, nil
}

// quantRowBlock bounds the rows generated at once, so the float32 copy of a large
// matrix (the 1B model's 128256-row embedding) never exists whole.
const quantRowBlock = 4096

// generate returns the tensors of one parameter: a vector, a dense matrix, or the
// weight, scales and biases of a quantized one.
func (s *Spec) generate(p param) ([]safetensors.Tensor, error) {
	rng := newNormal(s.Seed, p.name)
	if !p.linear {
		v := make([]float32, p.rows)
		rng.fill(v, p.mean, p.std)
		return []safetensors.Tensor{s.floatTensor(p.name, []int{p.rows}, v)}, nil
	}
	qp, quantized := s.quantFor(p.name)
	if quantized && p.cols%qp.GroupSize != 0 {
		return nil, fmt.Errorf("modeltest: %s has %d columns, not a multiple of group size %d",
			p.name, p.cols, qp.GroupSize)
	}
	if !quantized {
		w := make([]float32, p.rows*p.cols)
		rng.fill(w, p.mean, p.std)
		return []safetensors.Tensor{s.floatTensor(p.name+".weight", []int{p.rows, p.cols}, w)}, nil
	}

	var packed []uint32
	var scales, biases []float32
	block := make([]float32, min(quantRowBlock, p.rows)*p.cols)
	for r := 0; r < p.rows; r += quantRowBlock {
		n := min(quantRowBlock, p.rows-r)
		w := block[:n*p.cols]
		rng.fill(w, p.mean, p.std)
		pk, sc, bi := quant.Quantize(w, n, p.cols, qp.Bits, qp.GroupSize)
		packed, scales, biases = append(packed, pk...), append(scales, sc...), append(biases, bi...)
	}
	groups := p.cols / qp.GroupSize
	return []safetensors.Tensor{
		{Name: p.name + ".weight", DType: safetensors.U32,
			Shape: []int{p.rows, p.cols * qp.Bits / 32}, Data: safetensors.EncodeU32(packed)},
		s.floatTensor(p.name+".scales", []int{p.rows, groups}, scales),
		s.floatTensor(p.name+".biases", []int{p.rows, groups}, biases),
	}, nil
}

// quantFor returns the quantization of the module at path, and false when it is
// stored unquantized.
func (s *Spec) quantFor(path string) (QuantParams, bool) {
	if s.Bits == 0 {
		return QuantParams{}, false
	}
	if p, ok := s.Overrides[path]; ok {
		if p == nil {
			return QuantParams{}, false
		}
		return *p, true
	}
	return QuantParams{GroupSize: s.GroupSize, Bits: s.Bits}, true
}

// floatTensor stores v in the spec's float dtype.
func (s *Spec) floatTensor(name string, shape []int, v []float32) safetensors.Tensor {
	t := safetensors.Tensor{Name: name, Shape: shape}
	switch s.DType {
	case "F32":
		t.DType, t.Data = safetensors.F32, safetensors.EncodeF32(v)
	case "F16":
		t.DType, t.Data = safetensors.F16, safetensors.EncodeF16(v)
	default:
		t.DType, t.Data = safetensors.BF16, safetensors.EncodeBF16(v)
	}
	return t
}

// normal draws N(0, 1) values from a PCG stream keyed by the seed and the tensor name,
// with the Box-Muller transform; written out here so the bytes do not depend on the
// Go release's math/rand internals.
type normal struct {
	state, inc uint64
	spare      float64
	hasSpare   bool
}

func newNormal(seed uint64, name string) *normal {
	h := fnv.New64a()
	h.Write([]byte(name))
	n := &normal{inc: h.Sum64()<<1 | 1}
	n.next()
	n.state += seed
	n.next()
	return n
}

// next is the PCG-XSH-RR 64/32 generator (O'Neill 2014), returning 32 random bits.
func (n *normal) next() uint32 {
	old := n.state
	n.state = old*6364136223846793005 + n.inc
	xorshifted := uint32(((old >> 18) ^ old) >> 27)
	rot := uint32(old >> 59)
	return xorshifted>>rot | xorshifted<<((-rot)&31)
}

// uniform returns a float64 in (0, 1).
func (n *normal) uniform() float64 {
	u := uint64(n.next())<<21 ^ uint64(n.next())
	return (float64(u&(1<<53-1)) + 0.5) / (1 << 53)
}

func (n *normal) float() float64 {
	if n.hasSpare {
		n.hasSpare = false
		return n.spare
	}
	r := math.Sqrt(-2 * math.Log(n.uniform()))
	s, c := math.Sincos(2 * math.Pi * n.uniform())
	n.spare, n.hasSpare = r*s, true
	return r * c
}

func (n *normal) fill(dst []float32, mean, std float64) {
	for i := range dst {
		dst[i] = float32(mean + std*n.float())
	}
}
