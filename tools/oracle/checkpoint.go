package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// This file reads an mlx-community checkpoint on its own (no code shared with the
// engine): the safetensors header, BF16/F16/F32 floats and MLX affine quantization.

type config struct {
	ModelType             string         `json:"model_type"`
	HiddenSize            int            `json:"hidden_size"`
	IntermediateSize      int            `json:"intermediate_size"`
	NumHiddenLayers       int            `json:"num_hidden_layers"`
	NumAttentionHeads     int            `json:"num_attention_heads"`
	NumKeyValueHeads      int            `json:"num_key_value_heads"`
	HeadDim               int            `json:"head_dim"`
	RMSNormEps            float64        `json:"rms_norm_eps"`
	RopeTheta             float64        `json:"rope_theta"`
	MaxPositionEmbeddings int            `json:"max_position_embeddings"`
	VocabSize             int            `json:"vocab_size"`
	TieWordEmbeddings     *bool          `json:"tie_word_embeddings"`
	RopeScaling           map[string]any `json:"rope_scaling"`
	Quantization          map[string]any `json:"quantization"`
}

func readConfig(dir string) (*config, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if c.HeadDim == 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	return &c, nil
}

type rawTensor struct {
	dtype string
	shape []int
	data  []byte
}

func readSafetensors(path string) (map[string]rawTensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(b)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		return nil, err
	}
	data := b[8+n:]
	out := map[string]rawTensor{}
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = rawTensor{e.DType, e.Shape, data[e.Offsets[0]:e.Offsets[1]]}
	}
	return out, nil
}

// floats converts a float tensor to float32 exactly.
func floats(t rawTensor) []float32 {
	switch t.dtype {
	case "F32":
		out := make([]float32, len(t.data)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.data[4*i:]))
		}
		return out
	case "BF16":
		out := make([]float32, len(t.data)/2)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(t.data[2*i:])) << 16)
		}
		return out
	case "F16":
		out := make([]float32, len(t.data)/2)
		for i := range out {
			out[i] = halfToFloat(binary.LittleEndian.Uint16(t.data[2*i:]))
		}
		return out
	}
	panic("not a float tensor: " + t.dtype)
}

// halfToFloat widens IEEE binary16 through float64 arithmetic.
func halfToFloat(h uint16) float32 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	switch exp {
	case 0:
		return float32(sign * mant * math.Pow(2, -24))
	case 31:
		if mant == 0 {
			return float32(sign * math.Inf(1))
		}
		return float32(math.NaN())
	}
	return float32(sign * (1 + mant/1024) * math.Pow(2, float64(exp-15)))
}

// weight returns the module's weight as a dense row-major [rows][cols] float32 matrix.
func (c *config) weight(ts map[string]rawTensor, module string) ([]float32, int, int, error) {
	w, ok := ts[module+".weight"]
	if !ok {
		return nil, 0, 0, fmt.Errorf("no tensor %s.weight", module)
	}
	scales, quantized := ts[module+".scales"]
	if !quantized {
		return floats(w), w.shape[0], w.shape[1], nil
	}
	bits, group := c.quantParams(module)
	s, b := floats(scales), floats(ts[module+".biases"])
	rows, words := w.shape[0], w.shape[1]
	cols := words * 32 / bits
	out := make([]float32, rows*cols)
	mask := uint32(1)<<bits - 1
	for r := range rows {
		for j := range cols {
			word := binary.LittleEndian.Uint32(w.data[4*(r*words+j*bits/32):])
			q := word >> (uint(j*bits) % 32) & mask
			g := r*(cols/group) + j/group
			out[r*cols+j] = float32(float64(s[g])*float64(q) + float64(b[g]))
		}
	}
	return out, rows, cols, nil
}

func (c *config) quantParams(module string) (bits, group int) {
	q := c.Quantization
	if o, ok := q[module].(map[string]any); ok {
		return int(o["bits"].(float64)), int(o["group_size"].(float64))
	}
	return int(q["bits"].(float64)), int(q["group_size"].(float64))
}
