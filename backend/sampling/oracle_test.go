package sampling

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// llamaCppCase is one case of testdata/llamacpp.json, written by oracle/regen.sh from
// llama.cpp's own samplers (penalties → top_k → top_p → min_p → temp → dist).
type llamaCppCase struct {
	Knobs struct {
		LastN   int     `json:"penalty_last_n"`
		Repeat  float32 `json:"penalty_repeat"`
		Freq    float32 `json:"penalty_freq"`
		Present float32 `json:"penalty_present"`
		TopK    int     `json:"top_k"`
		TopP    float32 `json:"top_p"`
		MinP    float32 `json:"min_p"`
		Temp    float32 `json:"temp"`
	} `json:"knobs"`
	Logits  []float32 `json:"logits"`
	History []int32   `json:"history"`
	Result  struct {
		Kept      []int32   `json:"kept"`
		Probs     []float32 `json:"probs"`
		Penalized []float32 `json:"penalized"`
	} `json:"result"`
}

// TestLlamaCppOracle compares the llama.cpp chain with llama.cpp itself: the same
// penalized logits, the same kept set and the same probabilities (llama.cpp computes
// in float32, hence the tolerances). The knob values are llama.cpp's float32 ones.
func TestLlamaCppOracle(t *testing.T) {
	raw, err := os.ReadFile("testdata/llamacpp.json")
	if err != nil {
		t.Fatalf("read the llama.cpp fixture (regenerate with oracle/regen.sh): %v", err)
	}
	var cases []llamaCppCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/llamacpp.json")
	}
	for n, c := range cases {
		k := c.Knobs
		p := Params{
			Temperature: float64(k.Temp), TopK: k.TopK, TopP: float64(k.TopP),
			MinP: float64(k.MinP), RepetitionPenalty: float64(k.Repeat),
			FrequencyPenalty: float64(k.Freq), PresencePenalty: float64(k.Present),
			RepetitionContext: k.LastN, Sampler: SamplerLlamaCpp,
		}
		s, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Sample(c.Logits, c.History, 0, NewStream(0, 0), len(c.Logits))
		if err != nil {
			t.Fatal(err)
		}

		// Penalized logits (float32 in llama.cpp).
		for id, want := range c.Result.Penalized {
			if got := s.w[id]; math.Abs(got-float64(want)) > 1e-5*math.Max(1, math.Abs(got)) {
				t.Fatalf("case %d %+v: token %d penalized %v, llama.cpp %v", n, k, id, got, want)
			}
		}

		// Kept set and probabilities.
		step, cands := inspectAll(t, p, c.Logits, c.History)
		if step.Kept != len(c.Result.Kept) {
			t.Errorf("case %d %+v: kept %d tokens, llama.cpp %d", n, k, step.Kept,
				len(c.Result.Kept))
		}
		for i, id := range c.Result.Kept {
			cand := cands[id]
			if cand.RemovedBy != "" {
				t.Errorf("case %d %+v: token %d removed by %s, llama.cpp keeps it",
					n, k, id, cand.RemovedBy)
				continue
			}
			if want := float64(c.Result.Probs[i]); math.Abs(cand.Prob-want) > 2e-6 {
				t.Errorf("case %d %+v: token %d prob %.7f, llama.cpp %.7f", n, k, id,
					cand.Prob, want)
			}
		}
	}
}
