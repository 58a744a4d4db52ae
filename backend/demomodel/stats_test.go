package demomodel_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/sampling"
)

// The lesson's claims about the knobs (/work/shared/seed/sampling-lesson.txt, issue 9),
// checked as statistics over many seeded runs of the demo model on real prompts. Every
// run is seeded, so the numbers are the same on every machine; the thresholds leave a
// wide margin under the measured values (logged with -v) so that a retrained model
// that still behaves like a language model passes.

// statPrompts are KJV openings the model has seen in many forms.
var statPrompts = []string{
	"And the LORD said unto Moses,",
	"In the beginning God created",
	"Blessed are the",
	"And it came to pass, when",
}

const (
	statSeeds  = 24 // runs per prompt and regime
	statTokens = 32 // tokens generated per run
)

// runStats is what a set of runs measured.
type runStats struct {
	meanEntropy  float64 // mean entropy (nats) of the distribution each token was drawn from
	outsideTop10 float64 // share of drawn tokens ranked 10th or lower by raw logit
	repeatRate   float64 // mean share of a run's token trigrams that repeat an earlier one
}

func (s runStats) String() string {
	return fmt.Sprintf("entropy %.3f nats, outside top 10 %.3f, repeated trigrams %.3f",
		s.meanEntropy, s.outsideTop10, s.repeatRate)
}

// measure samples statSeeds runs of statTokens tokens per prompt under p, decoding up to
// model.MaxBatch runs at once from a shared prefilled prompt.
func measure(t *testing.T, d *loaded, prompts []string, p sampling.Params) runStats {
	t.Helper()
	s, err := sampling.New(p.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	vocab := d.model.VocabSize()
	var st runStats
	var steps, runs int
	for _, prompt := range prompts {
		ids := d.tok.Encode(prompt, true)
		first := make([]float32, vocab) // [vocab] logits after the prompt
		base := d.model.NewCache()
		if err := d.model.Prefill(base, ids, first); err != nil {
			t.Fatal(err)
		}
		for start := 0; start < statSeeds; start += model.MaxBatch {
			n := min(model.MaxBatch, statSeeds-start)
			caches := d.model.Fork(base, n)
			logits := make([]float32, n*vocab) // [n][vocab]
			history := make([][]int32, n)
			streams := make([]*sampling.Stream, n)
			for i := range n {
				copy(logits[i*vocab:], first)
				history[i] = slices.Clone(ids)
				streams[i] = sampling.NewStream(uint64(start+i+1), 0)
			}
			next := make([]int32, n)
			for k := range statTokens {
				for i := range n {
					step, err := s.Sample(logits[i*vocab:(i+1)*vocab], history[i], len(ids),
						streams[i], 0)
					if err != nil {
						t.Fatal(err)
					}
					st.meanEntropy += step.Entropy
					if step.Rank >= 10 {
						st.outsideTop10++
					}
					steps++
					next[i] = step.Token
					history[i] = append(history[i], step.Token)
				}
				if k < statTokens-1 {
					if err := d.model.DecodeBatch(caches, next, logits); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i := range n {
				st.repeatRate += repeatedTrigrams(history[i][len(ids):])
				runs++
			}
		}
	}
	st.meanEntropy /= float64(steps)
	st.outsideTop10 /= float64(steps)
	st.repeatRate /= float64(runs)
	return st
}

// repeatedTrigrams returns the share of the token trigrams of ids that already occurred
// earlier in ids.
func repeatedTrigrams(ids []int32) float64 {
	if len(ids) < 3 {
		return 0
	}
	seen := map[[3]int32]bool{}
	repeats := 0
	for i := 2; i < len(ids); i++ {
		g := [3]int32{ids[i-2], ids[i-1], ids[i]}
		if seen[g] {
			repeats++
		}
		seen[g] = true
	}
	return float64(repeats) / float64(len(ids)-2)
}

func withTemp(temp, topP float64) sampling.Params {
	p := sampling.Defaults(sampling.SamplerMLXLM)
	p.Temperature, p.TopP = temp, topP
	return p
}

// TestTemperatureFlattensTheDistribution: raising the temperature from 0.7 to 1.5 to
// 2.5 raises the mean entropy of the drawn-from distribution and the share of tokens
// drawn from outside the raw top 10.
func TestTemperatureFlattensTheDistribution(t *testing.T) {
	d := loadDemo(t)
	temps := []float64{0.7, 1.5, 2.5}
	var stats []runStats
	for _, temp := range temps {
		st := measure(t, d, statPrompts, withTemp(temp, 1))
		t.Logf("temp %.1f: %v", temp, st)
		stats = append(stats, st)
	}
	// Thresholds: each step up must raise the entropy by at least minEntropyRise nats
	// and the outside-top-10 share by at least minTailRise. Measured on the committed
	// model: entropy 2.03, 5.49, 6.96 nats; outside top 10 0.155, 0.675, 0.905.
	const minEntropyRise, minTailRise = 0.5, 0.1
	for i := 1; i < len(stats); i++ {
		lo, hi := stats[i-1], stats[i]
		if hi.meanEntropy-lo.meanEntropy < minEntropyRise {
			t.Errorf("entropy %.3f at temp %.1f, %.3f at temp %.1f: want a rise ≥ %.2f",
				lo.meanEntropy, temps[i-1], hi.meanEntropy, temps[i], minEntropyRise)
		}
		if hi.outsideTop10-lo.outsideTop10 < minTailRise {
			t.Errorf("outside top 10 %.3f at temp %.1f, %.3f at temp %.1f: want a rise ≥ %.2f",
				lo.outsideTop10, temps[i-1], hi.outsideTop10, temps[i], minTailRise)
		}
	}
}

// TestTopPTamesHighTemperature: at temperature 2.5, top_p 0.9 draws clearly fewer tokens
// from outside the raw top 10 than top_p 1.0.
func TestTopPTamesHighTemperature(t *testing.T) {
	d := loadDemo(t)
	open := measure(t, d, statPrompts, withTemp(2.5, 1))
	nucleus := measure(t, d, statPrompts, withTemp(2.5, 0.9))
	t.Logf("temp 2.5 top_p 1.0: %v", open)
	t.Logf("temp 2.5 top_p 0.9: %v", nucleus)
	// Threshold: top_p 0.9 at most maxTailRatio times the unclipped share. Measured on
	// the committed model: 0.611 against 0.905 (0.68×).
	const maxTailRatio = 0.85
	if nucleus.outsideTop10 > maxTailRatio*open.outsideTop10 {
		t.Errorf("outside top 10: %.3f with top_p 0.9, %.3f with top_p 1.0; want ≤ %.1f×",
			nucleus.outsideTop10, open.outsideTop10, maxTailRatio)
	}
}

// loopPrompt makes the demo model's greedy output loop.
const loopPrompt = "And the LORD said unto Moses,"

// TestRepetitionPenaltyBreaksLoops: the greedy continuation of loopPrompt repeats
// itself; repetition_penalty 1.3 (mlx-lm chain, its default 20-token window) lowers
// the repeated-trigram rate, greedily and over seeded runs at temperature 0.7.
func TestRepetitionPenaltyBreaksLoops(t *testing.T) {
	d := loadDemo(t)
	penalized := func(p sampling.Params) sampling.Params {
		p.RepetitionPenalty = 1.3
		return p
	}
	prompts := []string{loopPrompt}

	greedy := measure(t, d, prompts, withTemp(0, 1))
	greedyPen := measure(t, d, prompts, penalized(withTemp(0, 1)))
	warm := measure(t, d, statPrompts, withTemp(0.7, 1))
	warmPen := measure(t, d, statPrompts, penalized(withTemp(0.7, 1)))
	t.Logf("greedy:                %v", greedy)
	t.Logf("greedy, penalty 1.3:   %v", greedyPen)
	t.Logf("temp 0.7:              %v", warm)
	t.Logf("temp 0.7, penalty 1.3: %v", warmPen)

	// Thresholds: the greedy output loops (at least minGreedyLoop of its trigrams
	// repeat); the penalty at least halves that, and lowers the sampled rate too.
	// Measured on the committed model: greedy 0.633 → 0.033, temp 0.7 0.025 → 0.000.
	const minGreedyLoop, maxPenaltyRatio = 0.3, 0.5
	if greedy.repeatRate < minGreedyLoop {
		t.Errorf("greedy repeated-trigram rate %.3f, want ≥ %.2f (does the prompt still loop?)",
			greedy.repeatRate, minGreedyLoop)
	}
	if greedyPen.repeatRate > maxPenaltyRatio*greedy.repeatRate {
		t.Errorf("greedy repeated-trigram rate %.3f with penalty, %.3f without; want ≤ %.1f×",
			greedyPen.repeatRate, greedy.repeatRate, maxPenaltyRatio)
	}
	if warmPen.repeatRate >= warm.repeatRate {
		t.Errorf("temp 0.7 repeated-trigram rate %.3f with penalty, %.3f without; want lower",
			warmPen.repeatRate, warm.repeatRate)
	}
}
