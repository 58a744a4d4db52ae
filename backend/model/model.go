// Package model owns the transformer engine: config.json, the llama, qwen2 and qwen3
// architectures, the forward pass, the KV cache, batched decoding and the Engine
// interface the lab drives. Weights stay memory-mapped from the checkpoint; the kernels
// live in backend/quant.
package model

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/knobs-app/knobs/backend/quant"
	"github.com/knobs-app/knobs/backend/safetensors"
)

// Engine is what the lab needs from a model; a Metal backend implements the same
// interface later. An Engine is safe for use by one goroutine at a time; concurrent
// calls are serialized.
type Engine interface {
	Config() *Config
	VocabSize() int
	ContextLength() int
	NewCache() *Cache
	// Prefill appends tokens to cache and writes the logits of the last position ([vocab]).
	Prefill(c *Cache, tokens []int32, logits []float32) error
	// Fork returns n caches that share c's computed prefix (the prefix KV is not recomputed).
	Fork(c *Cache, n int) []*Cache
	// DecodeBatch appends tokens[i] to caches[i] and writes logits[i*vocab:(i+1)*vocab].
	DecodeBatch(caches []*Cache, tokens []int32, logits []float32) error
	WeightBytes() int64
	Close() error
}

var _ Engine = (*Model)(nil)

// MaxBatch is the largest number of sequences DecodeBatch takes in one step.
const MaxBatch = 8

// Options tune a loaded model. The zero value picks the defaults.
type Options struct {
	// ContextLength caps the positions a cache can hold; 0 means
	// min(max_position_embeddings, DefaultContextLength).
	ContextLength int
	// PrefillChunk is the number of prompt tokens one prefill step multiplies at once;
	// 0 means DefaultPrefillChunk.
	PrefillChunk int
}

// DefaultContextLength bounds the context when the caller does not choose one: the KV
// cache of the 1B Llama shape costs 64 KiB per position per sequence.
const DefaultContextLength = 8192

// DefaultPrefillChunk is the prefill step size: large enough that a weight read serves
// many tokens, small enough to keep the scratch buffers a few MB.
const DefaultPrefillChunk = 64

// Model is a loaded checkpoint: its config, its weights (views of the mapped files) and
// the scratch buffers of the forward pass. It implements Engine.
type Model struct {
	cfg  *Config
	ckpt *safetensors.Checkpoint

	// Weights, named after the checkpoint's tensors.
	EmbedTokens quant.Matrix // [vocab][hidden] model.embed_tokens
	Layers      []*Layer     // [numLayers] model.layers.N
	Norm        []float32    // [hidden] model.norm
	LMHead      quant.Matrix // [vocab][hidden] lm_head, or EmbedTokens when tied

	rope        *rope
	ctxLen      int
	chunk       int
	weightBytes int64

	mu      sync.Mutex // serializes forward passes over the shared scratch
	scratch *scratch
	closed  bool
}

// Layer is one transformer block, model.layers.N.
type Layer struct {
	InputLayernorm []float32    // [hidden]
	QProj          quant.Matrix // [numHeads*headDim][hidden]
	KProj          quant.Matrix // [numKVHeads*headDim][hidden]
	VProj          quant.Matrix // [numKVHeads*headDim][hidden]
	OProj          quant.Matrix // [hidden][numHeads*headDim]
	QBias          []float32    // [numHeads*headDim], nil without attention biases
	KBias          []float32    // [numKVHeads*headDim], nil without attention biases
	VBias          []float32    // [numKVHeads*headDim], nil without attention biases
	OBias          []float32    // [hidden], nil unless llama with attention_bias
	QNorm          []float32    // [headDim], qwen3 only
	KNorm          []float32    // [headDim], qwen3 only

	PostAttentionLayernorm []float32    // [hidden]
	GateProj               quant.Matrix // [intermediate][hidden]
	UpProj                 quant.Matrix // [intermediate][hidden]
	DownProj               quant.Matrix // [hidden][intermediate]
}

// Load opens the checkpoint in dir (config.json and model.safetensors or its sharded
// index) with the default options.
func Load(dir string) (*Model, error) {
	return LoadWithOptions(dir, Options{})
}

// LoadWithOptions opens the checkpoint in dir. Errors name the config key or the tensor
// at fault.
func LoadWithOptions(dir string, opts Options) (*Model, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	ckpt, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m := &Model{cfg: cfg, ckpt: ckpt}
	if err := m.loadWeights(); err != nil {
		ckpt.Close()
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	m.ctxLen = opts.ContextLength
	if m.ctxLen <= 0 {
		m.ctxLen = min(DefaultContextLength, max(cfg.MaxPositionEmbeddings, 1))
		if cfg.MaxPositionEmbeddings <= 0 {
			m.ctxLen = DefaultContextLength
		}
	}
	m.chunk = opts.PrefillChunk
	if m.chunk <= 0 {
		m.chunk = DefaultPrefillChunk
	}
	m.rope = newRope(cfg, m.ctxLen)
	m.scratch = newScratch(cfg, max(m.chunk, MaxBatch), m.ctxLen, runtime.GOMAXPROCS(0))
	return m, nil
}

// loader reads the weights of one checkpoint and remembers the bytes a forward step
// reads.
type loader struct {
	cfg   *Config
	ckpt  *safetensors.Checkpoint
	bytes int64
}

func (m *Model) loadWeights() error {
	c := m.cfg
	l := &loader{cfg: c, ckpt: m.ckpt}
	hidden, qDim, kvDim := c.HiddenSize, c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim

	var err error
	if m.EmbedTokens, err = l.linear("model.embed_tokens", c.VocabSize, hidden); err != nil {
		return err
	}
	// A decode step reads one embedding row per sequence, not the table: only count it
	// when it doubles as the output projection.
	l.bytes = 0
	m.Layers = make([]*Layer, c.NumHiddenLayers)
	for i := range m.Layers {
		if m.Layers[i], err = l.layer(i, hidden, qDim, kvDim); err != nil {
			return err
		}
	}
	if m.Norm, err = l.vector("model.norm.weight", hidden); err != nil {
		return err
	}
	if c.Tied(m.ckpt.Has("lm_head.weight")) {
		m.LMHead = m.EmbedTokens
		l.bytes += m.EmbedTokens.WeightBytes()
	} else if m.LMHead, err = l.linear("lm_head", c.VocabSize, hidden); err != nil {
		return err
	}
	m.weightBytes = l.bytes
	return nil
}

func (l *loader) layer(i, hidden, qDim, kvDim int) (*Layer, error) {
	c := l.cfg
	p := fmt.Sprintf("model.layers.%d.", i)
	ly := &Layer{}
	type lin struct {
		dst        *quant.Matrix
		name       string
		rows, cols int
	}
	lins := []lin{
		{&ly.QProj, "self_attn.q_proj", qDim, hidden},
		{&ly.KProj, "self_attn.k_proj", kvDim, hidden},
		{&ly.VProj, "self_attn.v_proj", kvDim, hidden},
		{&ly.OProj, "self_attn.o_proj", hidden, qDim},
		{&ly.GateProj, "mlp.gate_proj", c.IntermediateSize, hidden},
		{&ly.UpProj, "mlp.up_proj", c.IntermediateSize, hidden},
		{&ly.DownProj, "mlp.down_proj", hidden, c.IntermediateSize},
	}
	for _, w := range lins {
		m, err := l.linear(p+w.name, w.rows, w.cols)
		if err != nil {
			return nil, err
		}
		*w.dst = m
	}

	type vec struct {
		dst  *[]float32
		name string
		n    int
	}
	vecs := []vec{
		{&ly.InputLayernorm, "input_layernorm.weight", hidden},
		{&ly.PostAttentionLayernorm, "post_attention_layernorm.weight", hidden},
	}
	if c.AttentionBias {
		vecs = append(vecs,
			vec{&ly.QBias, "self_attn.q_proj.bias", qDim},
			vec{&ly.KBias, "self_attn.k_proj.bias", kvDim},
			vec{&ly.VBias, "self_attn.v_proj.bias", kvDim})
		if c.ModelType == archLlama {
			vecs = append(vecs, vec{&ly.OBias, "self_attn.o_proj.bias", hidden})
		}
	}
	if c.ModelType == archQwen3 {
		vecs = append(vecs,
			vec{&ly.QNorm, "self_attn.q_norm.weight", c.HeadDim},
			vec{&ly.KNorm, "self_attn.k_norm.weight", c.HeadDim})
	}
	for _, v := range vecs {
		x, err := l.vector(p+v.name, v.n)
		if err != nil {
			return nil, err
		}
		*v.dst = x
	}
	return ly, nil
}

// linear loads the weight of the module at path (without ".weight") as a [rows][cols]
// matrix: affine quantized when the checkpoint holds path.scales, dense otherwise.
func (l *loader) linear(path string, rows, cols int) (quant.Matrix, error) {
	w, err := l.ckpt.Tensor(path + ".weight")
	if err != nil {
		return nil, err
	}
	var m quant.Matrix
	if l.ckpt.Has(path + ".scales") {
		m, err = l.affine(path, w)
	} else {
		m, err = quant.NewDense(w)
	}
	if err != nil {
		// The checkpoint and quant errors name the tensor already.
		return nil, err
	}
	if m.Rows() != rows || m.Cols() != cols {
		return nil, fmt.Errorf("tensor %s.weight: shape %v holds a [%d %d] matrix, "+
			"the config needs [%d %d]", path, w.Shape, m.Rows(), m.Cols(), rows, cols)
	}
	l.bytes += m.WeightBytes()
	return m, nil
}

func (l *loader) affine(path string, w safetensors.Tensor) (quant.Matrix, error) {
	p, ok := l.cfg.Quantization.For(path)
	if !ok {
		return nil, fmt.Errorf("checkpoint holds %s.scales but config.json's quantization "+
			"block does not quantize %s", path, path)
	}
	scales, err := l.ckpt.Tensor(path + ".scales")
	if err != nil {
		return nil, err
	}
	biases, err := l.ckpt.Tensor(path + ".biases")
	if err != nil {
		return nil, err
	}
	return quant.NewAffine(w, scales, biases, p.Bits, p.GroupSize)
}

// vector loads a 1-D float tensor of n elements (norm weights, biases) as float32.
func (l *loader) vector(name string, n int) ([]float32, error) {
	t, err := l.ckpt.Tensor(name)
	if err != nil {
		return nil, err
	}
	if len(t.Shape) != 1 || t.Shape[0] != n {
		return nil, fmt.Errorf("tensor %s: shape %v, the config needs [%d]", name, t.Shape, n)
	}
	v, err := t.Float32s()
	if err != nil {
		return nil, err
	}
	l.bytes += int64(len(t.Data))
	return v, nil
}

// Config returns the parsed config.json.
func (m *Model) Config() *Config { return m.cfg }

// VocabSize returns the number of logits per position.
func (m *Model) VocabSize() int { return m.cfg.VocabSize }

// ContextLength returns the most positions one cache can hold.
func (m *Model) ContextLength() int { return m.ctxLen }

// WeightBytes returns the bytes of weights one decode step reads: every layer's
// matrices and norms and the output projection (the embedding table only when tied,
// since a step reads one embedding row per sequence).
func (m *Model) WeightBytes() int64 { return m.weightBytes }

// Close releases the scratch buffers and the matrices' own memory and unmaps the
// checkpoint. The model and its caches must not be used afterwards.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	m.scratch = nil
	// Matrices with memory of their own (the packed copies of the VNNI
	// kernel) give it back now rather than when the collector finds them.
	mats := []quant.Matrix{m.EmbedTokens, m.LMHead}
	for _, ly := range m.Layers {
		mats = append(mats, ly.QProj, ly.KProj, ly.VProj, ly.OProj,
			ly.GateProj, ly.UpProj, ly.DownProj)
	}
	for _, mat := range mats {
		if r, ok := mat.(interface{ Release() }); ok {
			r.Release()
		}
	}
	m.Layers, m.EmbedTokens, m.LMHead = nil, nil, nil
	return m.ckpt.Close()
}
