package modeltest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// TestTinyModelsRegenerate checks that the committed tiny models, against which the
// reference fixtures were computed, are exactly what Write produces from their specs.
// The random stream uses math.Log and math.Sincos, whose last bit may differ between
// architectures, so the byte comparison runs on amd64, where the fixtures were made.
func TestTinyModelsRegenerate(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("fixtures were generated on amd64")
	}
	for _, name := range TinyNames() {
		t.Run(name, func(t *testing.T) {
			spec, _ := Tiny(name)
			dir := t.TempDir()
			if err := Write(dir, spec); err != nil {
				t.Fatal(err)
			}
			for _, file := range []string{"config.json", "model.safetensors"} {
				got, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(filepath.Join("..", "testdata", "models", name, file))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the committed file; run tools/torchref/regen.sh", file)
				}
			}
		})
	}
}

// TestLayout checks the mlx-community layout: the metadata, the quantized tensor
// triples with their shapes and dtypes, and the config's quantization block.
func TestLayout(t *testing.T) {
	spec, _ := Tiny("tiny-llama-q4")
	dir := t.TempDir()
	if err := Write(dir, spec); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata()["format"] != "mlx" {
		t.Errorf("metadata %v, want format mlx", f.Metadata())
	}
	want := map[string]struct {
		dtype safetensors.DType
		shape []int
	}{
		"model.embed_tokens.weight":                      {safetensors.U32, []int{256, 8}},
		"model.embed_tokens.scales":                      {safetensors.BF16, []int{256, 2}},
		"model.layers.0.self_attn.q_proj.biases":         {safetensors.BF16, []int{64, 2}},
		"model.layers.0.self_attn.o_proj.weight":         {safetensors.BF16, []int{64, 64}},
		"model.layers.1.mlp.down_proj.weight":            {safetensors.U32, []int{64, 32}},
		"model.layers.1.mlp.down_proj.scales":            {safetensors.BF16, []int{64, 2}},
		"model.layers.1.post_attention_layernorm.weight": {safetensors.BF16, []int{64}},
	}
	for name, w := range want {
		tn, ok := f.Tensor(name)
		if !ok {
			t.Errorf("no tensor %s", name)
			continue
		}
		if tn.DType != w.dtype || !equalInts(tn.Shape, w.shape) {
			t.Errorf("%s: %s %v, want %s %v", name, tn.DType, tn.Shape, w.dtype, w.shape)
		}
	}
	if _, ok := f.Tensor("lm_head.weight"); ok {
		t.Error("tied model has lm_head.weight")
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Quantization map[string]any `json:"quantization"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	q := cfg.Quantization
	if q["bits"] != 4.0 || q["model.layers.0.self_attn.o_proj"] != false {
		t.Errorf("quantization block %v", cfg.Quantization)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
