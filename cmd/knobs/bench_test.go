package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestDevMkmodelGenerateBench writes a tiny model with "knobs dev mkmodel", decodes it
// with "knobs generate --prompt-ids --json" and benchmarks it with "knobs bench --json",
// checking the documented JSON keys.
func TestDevMkmodelGenerateBench(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	out, errOut, code := knobs("dev", "mkmodel", "--tiny", "tiny-qwen3-q4", "--out", dir)
	if code != 0 {
		t.Fatalf("mkmodel: exit %d: %s%s", code, out, errOut)
	}

	out, errOut, code = knobs("generate", "--model", dir, "--prompt-ids", "1,17,42",
		"--max-tokens", "4", "--logprobs", "3", "--json")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	var gen map[string]any
	if err := json.Unmarshal([]byte(out), &gen); err != nil {
		t.Fatalf("generate output %q: %v", out, err)
	}
	for _, key := range []string{"text", "tokens", "prompt_tokens", "stop_reason",
		"prefill_tokens_per_second", "decode_tokens_per_second"} {
		if _, ok := gen[key]; !ok {
			t.Errorf("generate --json has no %q", key)
		}
	}
	if toks, _ := gen["tokens"].([]any); len(toks) != 4 || gen["stop_reason"] != "length" {
		t.Errorf("generate: %d tokens, stop %v", len(toks), gen["stop_reason"])
	} else if top, _ := toks[0].(map[string]any)["top"].([]any); len(top) != 3 {
		t.Errorf("generate: top of %d, want 3", len(top))
	}

	out, errOut, code = knobs("bench", "--model", dir, "--prompt-tokens", "8",
		"--gen-tokens", "3", "--columns", "5", "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errOut)
	}
	var bench map[string]float64
	if err := json.Unmarshal([]byte(out), &bench); err != nil {
		t.Fatalf("bench output %q: %v", out, err)
	}
	for _, key := range []string{"columns", "prefill_tokens_per_second", "decode_step_seconds",
		"decode_tokens_per_second", "bytes_per_token", "effective_gb_per_second",
		"measured_bandwidth_gb_per_second", "bandwidth_fraction"} {
		if v, ok := bench[key]; !ok || v <= 0 {
			t.Errorf("bench --json %q = %v", key, v)
		}
	}
	if bench["columns"] != 5 {
		t.Errorf("columns = %v", bench["columns"])
	}

	if _, _, code := knobs("bench", "--model", dir, "--columns", "9"); code != 2 {
		t.Errorf("bench --columns 9: exit %d, want 2", code)
	}
	if _, _, code := knobs("dev", "mkmodel", "--tiny", "nope", "--out", dir); code != 2 {
		t.Errorf("mkmodel --tiny nope: exit %d, want 2", code)
	}
}
