package sampling

import (
	"os"
	"slices"
	"testing"
	"time"
)

// TestStepTiming prints the minimum and median wall time of a sampling step per chain
// on the 128,256-token vocabulary, and the process CPU time per step (both scan
// halves included). The minimum is the cost when the cores are free; the median shows
// the load of the machine. Run with KNOBS_TIMING=1.
func TestStepTiming(t *testing.T) {
	if os.Getenv("KNOBS_TIMING") == "" {
		t.Skip("set KNOBS_TIMING=1 to print step timings")
	}
	llama := Defaults(SamplerLlamaCpp)
	llama.RepetitionPenalty = 1.1
	cases := []struct {
		name     string
		p        Params
		peaks    bool
		inspectK int
	}{
		{"mlx-lm temp0.7 top_p0.95", Params{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1.1}, true, 10},
		{"transformers temp0.7 top_k50 top_p0.95", Params{Temperature: 0.7, TopK: 50, TopP: 0.95,
			RepetitionPenalty: 1.1, Sampler: SamplerTransformers}, true, 10},
		{"llama.cpp defaults", llama, true, 10},
		{"greedy", Params{Temperature: 0, TopP: 1, RepetitionPenalty: 1.1}, true, 10},
		{"mlx-lm flat top_p0.95", Params{Temperature: 1, TopP: 0.95, RepetitionPenalty: 1.1}, false, 10},
		{"mlx-lm no filter", Params{Temperature: 0.8, TopP: 1, RepetitionPenalty: 1}, true, 10},
		{"mlx-lm no inspect", Params{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1.1}, true, 0},
	}
	history := benchHistory()
	for _, c := range cases {
		s, err := New(c.p)
		if err != nil {
			t.Fatal(err)
		}
		logits := realisticLogits(1, c.peaks)
		rng := NewStream(1, 0)
		var times []time.Duration
		cpu0 := processCPU()
		const n = 300
		for range n {
			start := time.Now()
			if _, err := s.Sample(logits, history, 100, rng, c.inspectK); err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		cpu := (processCPU() - cpu0) / n
		slices.Sort(times)
		t.Logf("%-40s wall min %5.2f ms, median %5.2f ms; CPU %5.2f ms/step", c.name,
			float64(times[0])/1e6, float64(times[len(times)/2])/1e6, float64(cpu)/1e6)
	}
}
