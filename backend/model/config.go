package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Config is a model's config.json, with the file's own keys as JSON tags. Only the keys
// the engine reads are kept; the rest of the file is ignored.
type Config struct {
	ModelType             string       `json:"model_type"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      int          `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      int          `json:"num_key_value_heads"`
	HeadDim               int          `json:"head_dim"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	RopeScaling           *RopeScaling `json:"rope_scaling"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings"`
	VocabSize             int          `json:"vocab_size"`
	// TieWordEmbeddings is nil when the key is absent; the engine then ties the
	// embeddings exactly when the checkpoint has no lm_head.weight.
	TieWordEmbeddings *bool         `json:"tie_word_embeddings"`
	AttentionBias     bool          `json:"attention_bias"`
	Quantization      *Quantization `json:"quantization"`
	EOSTokenID        TokenIDs      `json:"eos_token_id"`
	BOSTokenID        TokenIDs      `json:"bos_token_id"`
}

// RopeScaling is config.json's rope_scaling block. Only the "llama3" kind is
// supported; older files name the kind in "type" instead of "rope_type".
type RopeScaling struct {
	RopeType                      string  `json:"rope_type"`
	Type                          string  `json:"type"`
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
}

// Kind is the scaling kind, from rope_type or else type.
func (r *RopeScaling) Kind() string {
	if r.RopeType != "" {
		return r.RopeType
	}
	return r.Type
}

// Quantization is config.json's quantization block as mlx-lm writes it: the default
// group size and bit width, the mode, and per-module overrides keyed by module path
// ("model.layers.0.self_attn.q_proj"), where false means the module is not quantized.
type Quantization struct {
	GroupSize int    `json:"group_size"`
	Bits      int    `json:"bits"`
	Mode      string `json:"mode,omitempty"`
	// Overrides maps a module path to its own parameters; nil means not quantized.
	Overrides map[string]*QuantParams `json:"-"`
}

// QuantParams are the affine quantization parameters of one module.
type QuantParams struct {
	GroupSize int `json:"group_size"`
	Bits      int `json:"bits"`
}

// UnmarshalJSON reads the fixed keys and treats every other key as a per-module override.
func (q *Quantization) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*q = Quantization{}
	for key, val := range raw {
		var err error
		switch key {
		case "group_size":
			err = json.Unmarshal(val, &q.GroupSize)
		case "bits":
			err = json.Unmarshal(val, &q.Bits)
		case "mode":
			err = json.Unmarshal(val, &q.Mode)
		default:
			err = q.addOverride(key, val)
		}
		if err != nil {
			return fmt.Errorf("quantization.%s: %w", key, err)
		}
	}
	return nil
}

func (q *Quantization) addOverride(key string, val json.RawMessage) error {
	if q.Overrides == nil {
		q.Overrides = map[string]*QuantParams{}
	}
	if bytes.Equal(bytes.TrimSpace(val), []byte("false")) {
		q.Overrides[key] = nil
		return nil
	}
	var p QuantParams
	if err := json.Unmarshal(val, &p); err != nil {
		return fmt.Errorf("want an object with group_size and bits, or false: %w", err)
	}
	q.Overrides[key] = &p
	return nil
}

// MarshalJSON writes the fixed keys followed by the overrides, as mlx-lm does.
func (q Quantization) MarshalJSON() ([]byte, error) {
	m := map[string]any{"group_size": q.GroupSize, "bits": q.Bits}
	if q.Mode != "" {
		m["mode"] = q.Mode
	}
	for k, p := range q.Overrides {
		if p == nil {
			m[k] = false
		} else {
			m[k] = p
		}
	}
	return json.Marshal(m)
}

// For returns the quantization of the module at path (without ".weight"), and false
// when the module is stored unquantized.
func (q *Quantization) For(path string) (QuantParams, bool) {
	if q == nil {
		return QuantParams{}, false
	}
	if p, ok := q.Overrides[path]; ok {
		if p == nil {
			return QuantParams{}, false
		}
		return *p, true
	}
	return QuantParams{GroupSize: q.GroupSize, Bits: q.Bits}, true
}

// TokenIDs is a token id field that config.json writes either as one number or a list.
type TokenIDs []int32

// UnmarshalJSON accepts null, a number or a list of numbers.
func (t *TokenIDs) UnmarshalJSON(data []byte) error {
	s := bytes.TrimSpace(data)
	if bytes.Equal(s, []byte("null")) {
		*t = nil
		return nil
	}
	if len(s) > 0 && s[0] == '[' {
		var ids []int32
		if err := json.Unmarshal(s, &ids); err != nil {
			return err
		}
		*t = ids
		return nil
	}
	var id int32
	if err := json.Unmarshal(s, &id); err != nil {
		return err
	}
	*t = TokenIDs{id}
	return nil
}

// Supported architectures, by model_type.
const (
	archLlama = "llama"
	archQwen2 = "qwen2"
	archQwen3 = "qwen3"
)

// supportedBits and supportedGroups are the affine parameters the kernels implement.
var (
	supportedBits   = map[int]bool{2: true, 4: true, 8: true}
	supportedGroups = map[int]bool{32: true, 64: true, 128: true}
)

// ReadConfig reads dir/config.json, fills the defaults the architectures imply and
// validates it.
func ReadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses and validates the contents of a config.json.
func ParseConfig(data []byte) (*Config, error) {
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("parse config.json: %w", err)
	}
	if err := cfg.fillDefaults(); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// fillDefaults applies the values the Hugging Face and mlx-lm model classes assume
// when a key is absent.
func (c *Config) fillDefaults() error {
	switch c.ModelType {
	case archLlama, archQwen3:
	case archQwen2:
		// Qwen2 always has q/k/v biases; its config.json does not say so.
		c.AttentionBias = true
	case "":
		return fmt.Errorf("model_type is missing; supported: %s", supportedArchs())
	default:
		return fmt.Errorf("model_type %q is not supported; supported: %s",
			c.ModelType, supportedArchs())
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if c.HeadDim == 0 && c.NumAttentionHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	return nil
}

func supportedArchs() string {
	return strings.Join([]string{archLlama, archQwen2, archQwen3}, ", ")
}

func (c *Config) validate() error {
	positive := []struct {
		key string
		val int
	}{
		{"hidden_size", c.HiddenSize},
		{"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads},
		{"num_key_value_heads", c.NumKeyValueHeads},
		{"head_dim", c.HeadDim},
		{"vocab_size", c.VocabSize},
	}
	for _, p := range positive {
		if p.val <= 0 {
			return fmt.Errorf("%s must be positive, got %d", p.key, p.val)
		}
	}
	if c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		return fmt.Errorf("num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)",
			c.NumAttentionHeads, c.NumKeyValueHeads)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("head_dim must be even for rotary embeddings, got %d", c.HeadDim)
	}
	if c.RMSNormEps < 0 || c.RopeTheta <= 0 {
		return fmt.Errorf("rms_norm_eps must be >= 0 and rope_theta > 0, got %g and %g",
			c.RMSNormEps, c.RopeTheta)
	}
	if err := c.validateRopeScaling(); err != nil {
		return err
	}
	return c.validateQuantization()
}

func (c *Config) validateRopeScaling() error {
	r := c.RopeScaling
	if r == nil {
		return nil
	}
	switch r.Kind() {
	case "llama3":
	case "default", "":
		// An explicit "default" block means plain RoPE.
		c.RopeScaling = nil
		return nil
	default:
		return fmt.Errorf("rope_scaling.rope_type %q is not supported; supported: llama3", r.Kind())
	}
	if r.Factor <= 0 || r.LowFreqFactor <= 0 || r.HighFreqFactor <= r.LowFreqFactor ||
		r.OriginalMaxPositionEmbeddings <= 0 {
		return fmt.Errorf("rope_scaling: llama3 needs factor > 0, 0 < low_freq_factor < "+
			"high_freq_factor and original_max_position_embeddings > 0, got %+v", *r)
	}
	return nil
}

func (c *Config) validateQuantization() error {
	q := c.Quantization
	if q == nil {
		return nil
	}
	if q.Mode != "" && q.Mode != "affine" {
		return fmt.Errorf("quantization.mode %q is not supported; supported: affine", q.Mode)
	}
	if err := checkQuantParams("quantization", QuantParams{q.GroupSize, q.Bits}); err != nil {
		return err
	}
	keys := make([]string, 0, len(q.Overrides))
	for k := range q.Overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p := q.Overrides[k]; p != nil {
			if err := checkQuantParams("quantization."+k, *p); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkQuantParams(key string, p QuantParams) error {
	if !supportedBits[p.Bits] {
		return fmt.Errorf("%s.bits %d is not supported; supported: 2, 4, 8", key, p.Bits)
	}
	if !supportedGroups[p.GroupSize] {
		return fmt.Errorf("%s.group_size %d is not supported; supported: 32, 64, 128",
			key, p.GroupSize)
	}
	return nil
}

// Tied reports whether the output projection reuses the token embeddings. hasLMHead
// says whether the checkpoint holds lm_head.weight.
func (c *Config) Tied(hasLMHead bool) bool {
	if c.TieWordEmbeddings == nil {
		return !hasLMHead
	}
	return *c.TieWordEmbeddings
}
