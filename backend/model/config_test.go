package model

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{
		"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192,
		"num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
		"rms_norm_eps": 1e-5, "rope_theta": 500000.0, "vocab_size": 128256,
		"max_position_embeddings": 131072, "tie_word_embeddings": true,
		"rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
			"original_max_position_embeddings": 8192, "rope_type": "llama3"},
		"eos_token_id": [128001, 128008, 128009], "bos_token_id": 128000,
		"quantization": {"group_size": 64, "bits": 4,
			"model.layers.0.mlp.down_proj": {"group_size": 32, "bits": 8},
			"lm_head": false}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HeadDim != 64 || len(cfg.EOSTokenID) != 3 || cfg.BOSTokenID[0] != 128000 {
		t.Errorf("head_dim %d, eos %v, bos %v", cfg.HeadDim, cfg.EOSTokenID, cfg.BOSTokenID)
	}
	if !cfg.Tied(false) || !cfg.Tied(true) {
		t.Error("tie_word_embeddings true not honoured")
	}
	q := cfg.Quantization
	if p, ok := q.For("model.layers.0.mlp.down_proj"); !ok || p.Bits != 8 || p.GroupSize != 32 {
		t.Errorf("override: %+v %v", p, ok)
	}
	if _, ok := q.For("lm_head"); ok {
		t.Error("lm_head: false should mean unquantized")
	}
	if p, ok := q.For("model.layers.3.self_attn.q_proj"); !ok || p.Bits != 4 || p.GroupSize != 64 {
		t.Errorf("default: %+v %v", p, ok)
	}

	// Qwen2 implies attention biases; an old-style "type" names the rope scaling; a
	// single eos id is a list of one; absent tie_word_embeddings follows lm_head.
	cfg, err = ParseConfig([]byte(`{"model_type": "qwen2", "hidden_size": 64,
		"intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4,
		"vocab_size": 10, "eos_token_id": 7,
		"rope_scaling": {"type": "llama3", "factor": 8, "low_freq_factor": 1,
			"high_freq_factor": 4, "original_max_position_embeddings": 32}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.AttentionBias || cfg.NumKeyValueHeads != 4 || cfg.EOSTokenID[0] != 7 {
		t.Errorf("qwen2 defaults: %+v", cfg)
	}
	if cfg.Tied(true) || !cfg.Tied(false) {
		t.Error("absent tie_word_embeddings should follow lm_head.weight")
	}
}

func TestParseConfigErrors(t *testing.T) {
	base := `"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
		"num_attention_heads": 4, "vocab_size": 10`
	cases := []struct {
		name, json, want string
	}{
		{"no model_type", `{` + base + `}`, "model_type is missing"},
		{"unknown model_type", `{"model_type": "mistral", ` + base + `}`, `model_type "mistral"`},
		{"bad heads", `{"model_type": "llama", ` + base + `, "num_key_value_heads": 3}`,
			"num_key_value_heads"},
		{"zero vocab", `{"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
			"num_hidden_layers": 1, "num_attention_heads": 4}`, "vocab_size must be positive"},
		{"mxfp4", `{"model_type": "llama", ` + base +
			`, "quantization": {"group_size": 32, "bits": 4, "mode": "mxfp4"}}`, "mxfp4"},
		{"3 bits", `{"model_type": "llama", ` + base +
			`, "quantization": {"group_size": 64, "bits": 3}}`, "quantization.bits 3"},
		{"override bits", `{"model_type": "llama", ` + base +
			`, "quantization": {"group_size": 64, "bits": 4, "lm_head": {"group_size": 64, "bits": 6}}}`,
			"quantization.lm_head.bits 6"},
		{"bad override", `{"model_type": "llama", ` + base +
			`, "quantization": {"group_size": 64, "bits": 4, "lm_head": 3}}`, "quantization.lm_head"},
		{"yarn", `{"model_type": "llama", ` + base + `, "rope_scaling": {"rope_type": "yarn"}}`,
			"yarn"},
		{"not json", `{"model_type": `, "parse config.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestRopeLlama3 checks the frequency rescaling against values worked out by hand from
// the Llama 3.1 rule with factor 8, low 1, high 4 and an original context of 32:
// wavelengths below 8 keep their frequency, above 32 divide it by 8, and between them
// interpolate.
func TestRopeLlama3(t *testing.T) {
	r := &RopeScaling{RopeType: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4,
		OriginalMaxPositionEmbeddings: 32}
	for _, tc := range []struct{ wavelen, want float64 }{
		{4, 2 * math.Pi / 4},
		{64, 2 * math.Pi / 64 / 8},
		// smooth = (32/16 - 1) / 3 = 1/3: (2/3) * f/8 + (1/3) * f.
		{16, (2.0/3)*(2*math.Pi/16)/8 + (1.0/3)*(2*math.Pi/16)},
	} {
		got := llama3Freq(2*math.Pi/tc.wavelen, r)
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("wavelength %g: %g, want %g", tc.wavelen, got, tc.want)
		}
	}
}

func TestClose(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "models", "tiny-qwen2-q8"))
	if err != nil {
		t.Fatal(err)
	}
	c := m.NewCache()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	err = m.Prefill(c, []int32{1}, make([]float32, m.VocabSize()))
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Prefill after Close: %v", err)
	}
}

// FuzzParseConfig checks that no config.json makes the parser panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
		"num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 10,
		"quantization": {"group_size": 64, "bits": 4, "x": false}, "eos_token_id": [1, 2],
		"rope_scaling": {"rope_type": "llama3", "factor": 8}}`))
	f.Add([]byte(`{"model_type": "qwen3", "num_attention_heads": 0, "head_dim": 3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err == nil && (cfg.HeadDim <= 0 || cfg.NumAttentionHeads%cfg.NumKeyValueHeads != 0) {
			t.Errorf("accepted an invalid config: %+v", cfg)
		}
	})
}
