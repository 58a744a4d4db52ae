package model

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// checkpointCopy reads the tiny llama test model into memory so a case can change it.
type checkpointCopy struct {
	config  map[string]any
	tensors []safetensors.Tensor
}

func readCheckpoint(t *testing.T, name string) *checkpointCopy {
	t.Helper()
	dir := filepath.Join("testdata", "models", name)
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cp := &checkpointCopy{}
	if err := json.Unmarshal(data, &cp.config); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tn := range f.Tensors() {
		tn.Data = slices.Clone(tn.Data)
		tn.Shape = slices.Clone(tn.Shape)
		cp.tensors = append(cp.tensors, tn)
	}
	return cp
}

func (cp *checkpointCopy) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(cp.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	if err := safetensors.WriteFile(path, cp.tensors, map[string]string{"format": "mlx"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (cp *checkpointCopy) tensor(name string) *safetensors.Tensor {
	for i := range cp.tensors {
		if cp.tensors[i].Name == name {
			return &cp.tensors[i]
		}
	}
	panic("no tensor " + name)
}

func (cp *checkpointCopy) drop(name string) {
	cp.tensors = slices.DeleteFunc(cp.tensors, func(t safetensors.Tensor) bool {
		return t.Name == name
	})
}

// editHeader rewrites the JSON header of dir's model.safetensors with edit, keeping the
// data section, so the file says what the writer would refuse to write.
func editHeader(t *testing.T, dir string, edit func(h map[string]map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "model.safetensors")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		t.Fatal(err)
	}
	h := map[string]map[string]any{}
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatal(err)
		}
		h[k] = e
	}
	edit(h)
	header, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(append(out, header...), b[8+n:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMalformedCheckpoints loads broken variants of a tiny model; each must fail with
// an error that names what is wrong.
func TestMalformedCheckpoints(t *testing.T) {
	const model = "tiny-llama-q4"
	cases := []struct {
		name string
		make func(t *testing.T) string
		want []string // substrings of the error
	}{
		{"truncated file", func(t *testing.T) string {
			dir := readCheckpoint(t, model).write(t)
			path := filepath.Join(dir, "model.safetensors")
			st, _ := os.Stat(path)
			if err := os.Truncate(path, st.Size()/2); err != nil {
				t.Fatal(err)
			}
			return dir
		}, []string{"model.safetensors"}},
		{"bad offsets", func(t *testing.T) string {
			dir := readCheckpoint(t, model).write(t)
			editHeader(t, dir, func(h map[string]map[string]any) {
				h["model.norm.weight"]["data_offsets"] = []int{1 << 30, 1<<30 + 128}
			})
			return dir
		}, []string{"model.norm.weight"}},
		{"wrong dtype", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			w := cp.tensor("model.norm.weight")
			w.DType = safetensors.U8
			w.Shape = []int{len(w.Data)}
			w.Shape = []int{64}
			w.Data = w.Data[:64]
			return cp.write(t)
		}, []string{"model.norm.weight", "U8"}},
		{"packed weight as float", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			w := cp.tensor("model.layers.0.self_attn.q_proj.weight")
			w.DType = safetensors.F32
			return cp.write(t)
		}, []string{"model.layers.0.self_attn.q_proj"}},
		{"missing tensor", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.drop("model.layers.1.mlp.up_proj.weight")
			return cp.write(t)
		}, []string{"model.layers.1.mlp.up_proj.weight"}},
		{"missing scales' biases", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.drop("model.layers.0.mlp.gate_proj.biases")
			return cp.write(t)
		}, []string{"model.layers.0.mlp.gate_proj.biases"}},
		{"norm shape mismatch", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			w := cp.tensor("model.layers.1.input_layernorm.weight")
			w.Shape, w.Data = []int{32}, w.Data[:64]
			return cp.write(t)
		}, []string{"model.layers.1.input_layernorm.weight", "[32]", "[64]"}},
		{"matrix shape mismatch", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.config["intermediate_size"] = 256
			return cp.write(t)
		}, []string{"model.layers.0.mlp.gate_proj"}},
		{"unknown architecture", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.config["model_type"] = "gpt2"
			return cp.write(t)
		}, []string{"model_type", "gpt2"}},
		{"unsupported quantization mode", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.config["quantization"].(map[string]any)["mode"] = "mxfp4"
			return cp.write(t)
		}, []string{"quantization.mode", "mxfp4"}},
		{"unsupported bits", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.config["quantization"].(map[string]any)["bits"] = 5
			return cp.write(t)
		}, []string{"quantization.bits", "5"}},
		{"unsupported rope scaling", func(t *testing.T) string {
			cp := readCheckpoint(t, model)
			cp.config["rope_scaling"] = map[string]any{"rope_type": "yarn", "factor": 4}
			return cp.write(t)
		}, []string{"rope_scaling", "yarn"}},
		{"no config", func(t *testing.T) string {
			dir := readCheckpoint(t, model).write(t)
			os.Remove(filepath.Join(dir, "config.json"))
			return dir
		}, []string{"config.json"}},
		{"no weights", func(t *testing.T) string {
			dir := readCheckpoint(t, model).write(t)
			os.Remove(filepath.Join(dir, "model.safetensors"))
			return dir
		}, []string{"model.safetensors"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Load(tc.make(t))
			if err == nil {
				m.Close()
				t.Fatal("loaded without error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			t.Log(err)
		})
	}
}
