// Command oracle runs a tiny mlx-community checkpoint through llama.cpp (the copy that
// the Go module github.com/ollama/ollama carries) and prints the same JSON as
// tools/torchref: the greedy continuation of a prompt and every step's top-k
// log-softmax. It writes an F32 GGUF of the dequantized weights (q/k rows permuted to
// llama.cpp's interleaved rope layout for llama, llama3 scaling as rope_freqs) and runs
// it with an F32 KV cache and flash attention off.
//
// It is a separate module so that its cgo build stays out of the app's; see regen.sh.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	modelDir := flag.String("model", "", "checkpoint directory")
	promptIDs := flag.String("prompt-ids", "", "comma-separated prompt token ids")
	steps := flag.Int("steps", 8, "greedy steps")
	top := flag.Int("top", 16, "log-probabilities reported per step")
	keep := flag.String("gguf", "", "keep the GGUF at this path")
	flag.Parse()
	if err := run(*modelDir, *promptIDs, *steps, *top, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}

func run(dir, promptIDs string, steps, top int, keep string) error {
	var prompt []int32
	for _, s := range strings.Split(promptIDs, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		prompt = append(prompt, int32(n))
	}
	cfg, err := readConfig(dir)
	if err != nil {
		return err
	}
	gguf := keep
	if gguf == "" {
		tmp, err := os.MkdirTemp("", "oracle")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		gguf = filepath.Join(tmp, "model.gguf")
	}
	if err := convert(dir, cfg, gguf); err != nil {
		return err
	}

	r, err := newLlamaRunner(gguf, len(prompt)+steps+1)
	if err != nil {
		return err
	}
	defer r.close()
	out := fixture{Reference: "llama.cpp (ollama v0.17.4) F32 GGUF, F32 KV cache, no flash attention",
		PromptIDs: prompt}
	logits, err := r.decode(prompt)
	for i := 0; i < steps && err == nil; i++ {
		lp := logSoftmax(logits)
		ids := topK(lp, top)
		s := step{}
		for _, id := range ids {
			s.TopIDs = append(s.TopIDs, id)
			s.TopLogprobs = append(s.TopLogprobs, lp[id])
		}
		out.Steps = append(out.Steps, s)
		out.Tokens = append(out.Tokens, ids[0])
		if i+1 < steps {
			logits, err = r.decode(ids[:1])
		}
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

type fixture struct {
	Reference string  `json:"reference"`
	PromptIDs []int32 `json:"prompt_ids"`
	Tokens    []int32 `json:"tokens"`
	Steps     []step  `json:"steps"`
}

type step struct {
	TopIDs      []int32   `json:"top_ids"`
	TopLogprobs []float64 `json:"top_logprobs"`
}

func logSoftmax(logits []float32) []float64 {
	m := math.Inf(-1)
	for _, l := range logits {
		m = math.Max(m, float64(l))
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - m)
	}
	out := make([]float64, len(logits))
	for i, l := range logits {
		out[i] = float64(l) - m - math.Log(sum)
	}
	return out
}

func topK(lp []float64, k int) []int32 {
	ids := make([]int32, len(lp))
	for i := range ids {
		ids[i] = int32(i)
	}
	sort.SliceStable(ids, func(a, b int) bool { return lp[ids[a]] > lp[ids[b]] })
	return ids[:min(k, len(ids))]
}

// convert writes the checkpoint in dir as an F32 GGUF llama.cpp can load.
func convert(dir string, cfg *config, path string) error {
	ts, err := readSafetensors(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return err
	}
	arch := cfg.ModelType
	var tensors []ggufTensor
	add := func(name string, data []float32, dims ...int) {
		tensors = append(tensors, ggufTensor{name: name, dims: dims, data: data})
	}
	matrix := func(module, name string, permute bool) error {
		w, rows, cols, err := cfg.weight(ts, module)
		if err != nil {
			return err
		}
		if permute {
			w = permuteRope(w, rows, cols, cfg.HeadDim)
		}
		add(name, w, cols, rows)
		return nil
	}
	vector := func(tensor, name string) error {
		t, ok := ts[tensor]
		if !ok {
			return fmt.Errorf("no tensor %s", tensor)
		}
		v := floats(t)
		add(name, v, len(v))
		return nil
	}

	if err := matrix("model.embed_tokens", "token_embd.weight", false); err != nil {
		return err
	}
	if err := vector("model.norm.weight", "output_norm.weight"); err != nil {
		return err
	}
	if _, ok := ts["lm_head.weight"]; ok && (cfg.TieWordEmbeddings == nil || !*cfg.TieWordEmbeddings) {
		if err := matrix("lm_head", "output.weight", false); err != nil {
			return err
		}
	}
	// llama.cpp's llama graph rotates interleaved pairs; qwen2/qwen3 use rotate-half
	// (NEOX) like HF, so only llama needs its q/k rows permuted.
	permute := arch == "llama"
	for i := range cfg.NumHiddenLayers {
		p, b := fmt.Sprintf("model.layers.%d.", i), fmt.Sprintf("blk.%d.", i)
		mats := [][3]string{
			{"self_attn.q_proj", "attn_q.weight", "p"}, {"self_attn.k_proj", "attn_k.weight", "p"},
			{"self_attn.v_proj", "attn_v.weight"}, {"self_attn.o_proj", "attn_output.weight"},
			{"mlp.gate_proj", "ffn_gate.weight"}, {"mlp.up_proj", "ffn_up.weight"},
			{"mlp.down_proj", "ffn_down.weight"},
		}
		for _, m := range mats {
			if err := matrix(p+m[0], b+m[1], permute && m[2] == "p"); err != nil {
				return err
			}
		}
		vecs := [][2]string{
			{"input_layernorm.weight", "attn_norm.weight"},
			{"post_attention_layernorm.weight", "ffn_norm.weight"},
		}
		if arch == "qwen2" {
			vecs = append(vecs, [2]string{"self_attn.q_proj.bias", "attn_q.bias"},
				[2]string{"self_attn.k_proj.bias", "attn_k.bias"},
				[2]string{"self_attn.v_proj.bias", "attn_v.bias"})
		}
		if arch == "qwen3" {
			vecs = append(vecs, [2]string{"self_attn.q_norm.weight", "attn_q_norm.weight"},
				[2]string{"self_attn.k_norm.weight", "attn_k_norm.weight"})
		}
		for _, v := range vecs {
			if err := vector(p+v[0], b+v[1]); err != nil {
				return err
			}
		}
	}
	if f := ropeFactors(cfg); f != nil {
		add("rope_freqs.weight", f, len(f))
	}
	return writeGGUF(path, metadata(cfg), tensors)
}

// permuteRope reorders each head's rows from HF's rotate-half layout (pairs i and
// i+headDim/2) to llama.cpp's interleaved pairs (2i, 2i+1): view a head's rows as
// [2][headDim/2] and swap the axes.
func permuteRope(w []float32, rows, cols, headDim int) []float32 {
	out := make([]float32, len(w))
	half := headDim / 2
	for h := 0; h < rows/headDim; h++ {
		for s := range 2 {
			for j := range half {
				src := (h*headDim + s*half + j) * cols
				dst := (h*headDim + 2*j + s) * cols
				copy(out[dst:dst+cols], w[src:src+cols])
			}
		}
	}
	return out
}

// ropeFactors returns llama.cpp's rope_freqs for llama3 scaling: for each frequency,
// the factor it is divided by (original / scaled), as convert_hf_to_gguf computes.
func ropeFactors(cfg *config) []float32 {
	rs := cfg.RopeScaling
	kind, _ := rs["rope_type"].(string)
	if kind == "" {
		kind, _ = rs["type"].(string)
	}
	if kind != "llama3" {
		return nil
	}
	factor := rs["factor"].(float64)
	low, high := rs["low_freq_factor"].(float64), rs["high_freq_factor"].(float64)
	orig := rs["original_max_position_embeddings"].(float64)
	lowWl, highWl := orig/low, orig/high
	var out []float32
	for i := 0; i < cfg.HeadDim; i += 2 {
		freq := 1 / math.Pow(cfg.RopeTheta, float64(i)/float64(cfg.HeadDim))
		wl := 2 * math.Pi / freq
		switch {
		case wl < highWl:
			out = append(out, 1)
		case wl > lowWl:
			out = append(out, float32(factor))
		default:
			smooth := (orig/wl - low) / (high - low)
			out = append(out, float32(1/((1-smooth)/factor+smooth)))
		}
	}
	return out
}

// metadata returns the GGUF key-values llama.cpp needs: the hyperparameters under the
// architecture's prefix and a byte-level stand-in vocabulary of vocab_size tokens.
func metadata(cfg *config) []ggufKV {
	a := cfg.ModelType
	tokens := make([]string, cfg.VocabSize)
	types := make([]int32, cfg.VocabSize)
	bytesToUnicode := byteLevelAlphabet()
	for i := range tokens {
		if i < 256 {
			tokens[i] = string(bytesToUnicode[i])
		} else {
			tokens[i] = fmt.Sprintf("<extra_%d>", i)
		}
		types[i] = 1
	}
	return []ggufKV{
		{"general.architecture", a},
		{"general.alignment", uint32(ggufAlignment)},
		{a + ".context_length", uint32(max(cfg.MaxPositionEmbeddings, 512))},
		{a + ".embedding_length", uint32(cfg.HiddenSize)},
		{a + ".block_count", uint32(cfg.NumHiddenLayers)},
		{a + ".feed_forward_length", uint32(cfg.IntermediateSize)},
		{a + ".attention.head_count", uint32(cfg.NumAttentionHeads)},
		{a + ".attention.head_count_kv", uint32(cfg.NumKeyValueHeads)},
		{a + ".attention.key_length", uint32(cfg.HeadDim)},
		{a + ".attention.value_length", uint32(cfg.HeadDim)},
		{a + ".attention.layer_norm_rms_epsilon", float32(cfg.RMSNormEps)},
		{a + ".rope.freq_base", float32(cfg.RopeTheta)},
		{a + ".rope.dimension_count", uint32(cfg.HeadDim)},
		{a + ".vocab_size", uint32(cfg.VocabSize)},
		{"tokenizer.ggml.model", "gpt2"},
		{"tokenizer.ggml.pre", "gpt-2"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.merges", []string{}},
		{"tokenizer.ggml.bos_token_id", uint32(1)},
		{"tokenizer.ggml.eos_token_id", uint32(2)},
	}
}

// byteLevelAlphabet is GPT-2's byte-to-character table: printable bytes map to
// themselves, the rest to code points from 256 up.
func byteLevelAlphabet() []rune {
	out := make([]rune, 256)
	next := rune(256)
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff) {
			out[b] = rune(b)
		} else {
			out[b] = next
			next++
		}
	}
	return out
}
