package sampling

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// quarterLogits are ln(0.5), ln(0.25), ln(0.125), ln(0.125): probabilities that make
// every cut easy to compute by hand, with a tie between tokens 2 and 3.
var quarterLogits = []float32{
	float32(math.Log(0.5)), float32(math.Log(0.25)),
	float32(math.Log(0.125)), float32(math.Log(0.125)),
}

// inspectAll runs one step and returns every token's candidate entry, by id.
func inspectAll(t *testing.T, p Params, logits []float32, history []int32) (Step, []Candidate) {
	t.Helper()
	s, err := New(p)
	if err != nil {
		t.Fatalf("New(%+v): %v", p, err)
	}
	step, err := s.Sample(logits, history, 0, NewStream(1, 0), len(logits))
	if err != nil {
		t.Fatalf("Sample: %v", err)
	}
	byID := make([]Candidate, len(logits))
	for _, c := range step.Candidates {
		byID[c.Token] = c
	}
	return step, byID
}

func TestChainsHandComputed(t *testing.T) {
	sqrtHalf := math.Sqrt(0.5)
	cases := []struct {
		name    string
		p       Params
		probs   []float64 // final sampling probabilities
		removed []string  // first filter that removed each token
	}{
		{
			// top_p 0.7 on 0.5/0.25/0.125/0.125: mass above token 2 is 0.75 >= 0.7.
			name:    "mlx-lm top_p",
			p:       Params{Temperature: 1, TopP: 0.7, RepetitionPenalty: 1},
			probs:   []float64{2.0 / 3, 1.0 / 3, 0, 0},
			removed: []string{"", "", "top_p", "top_p"},
		},
		{
			// Tie at the boundary: above token 2 is 0.75 < 0.8 (kept), above token 3
			// is 0.875 (removed); the lower id wins the tie.
			name:    "mlx-lm top_p tie",
			p:       Params{Temperature: 1, TopP: 0.8, RepetitionPenalty: 1},
			probs:   []float64{4.0 / 7, 2.0 / 7, 1.0 / 7, 0},
			removed: []string{"", "", "", "top_p"},
		},
		{
			// Filters see the untempered distribution, temperature 0.5 squares the
			// kept weights: 0.25 : 0.0625.
			name:    "mlx-lm top_p then temp",
			p:       Params{Temperature: 0.5, TopP: 0.7, RepetitionPenalty: 1},
			probs:   []float64{0.8, 0.2, 0, 0},
			removed: []string{"", "", "top_p", "top_p"},
		},
		{
			// min_p 0.3: threshold 0.15 removes both 0.125 tokens.
			name:    "mlx-lm min_p",
			p:       Params{Temperature: 1, TopP: 1, MinP: 0.3, RepetitionPenalty: 1},
			probs:   []float64{2.0 / 3, 1.0 / 3, 0, 0},
			removed: []string{"", "", "min_p", "min_p"},
		},
		{
			// top_k 3 keeps exactly three; the tie goes to the lower id.
			name:    "mlx-lm top_k tie",
			p:       Params{Temperature: 1, TopP: 1, TopK: 3, RepetitionPenalty: 1},
			probs:   []float64{4.0 / 7, 2.0 / 7, 1.0 / 7, 0},
			removed: []string{"", "", "", "top_k"},
		},
		{
			// top_k larger than the vocabulary keeps everything.
			name:    "mlx-lm top_k > vocab",
			p:       Params{Temperature: 1, TopP: 1, TopK: 100, RepetitionPenalty: 1},
			probs:   []float64{0.5, 0.25, 0.125, 0.125},
			removed: []string{"", "", "", ""},
		},
		{
			// transformers: temperature 2 first (weights √p), top_k 3 keeps the tie
			// (4 tokens), top_p 0.6 over √.5:√.25:√.125:√.125 keeps two.
			name: "transformers temp top_k top_p",
			p: Params{Temperature: 2, TopK: 3, TopP: 0.6, RepetitionPenalty: 1,
				Sampler: SamplerTransformers},
			probs:   []float64{sqrtHalf / (sqrtHalf + 0.5), 0.5 / (sqrtHalf + 0.5), 0, 0},
			removed: []string{"", "", "top_p", "top_p"},
		},
		{
			// llama.cpp: top_k 3 (exact) → renormalized 4/7, 2/7, 1/7; top_p 0.7
			// removes token 2 (6/7 above); temperature 2 last.
			name: "llama.cpp top_k top_p temp",
			p: Params{Temperature: 2, TopK: 3, TopP: 0.7, RepetitionPenalty: 1,
				Sampler: SamplerLlamaCpp},
			probs:   []float64{sqrtHalf / (sqrtHalf + 0.5), 0.5 / (sqrtHalf + 0.5), 0, 0},
			removed: []string{"", "", "top_p", "top_k"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, cands := inspectAll(t, c.p, quarterLogits, nil)
			for id, want := range c.probs {
				if got := cands[id].Prob; math.Abs(got-want) > 2e-7 { // float32 logits
					t.Errorf("token %d prob = %.15f, want %.15f", id, got, want)
				}
				if got := cands[id].RemovedBy; got != c.removed[id] {
					t.Errorf("token %d removed_by = %q, want %q", id, got, c.removed[id])
				}
			}
		})
	}
}

func TestPenaltiesHandComputed(t *testing.T) {
	logits := []float32{2, -1, 0.5, 1}
	history := []int32{0, 1, 1} // token 1 twice
	cases := []struct {
		name string
		p    Params
		want []float64 // penalized logits
	}{
		{
			// 2/2 - 0.5 - 0.25 = 0.25; -1*2 - 0.5 - 2*0.25 = -3.
			name: "mlx-lm",
			p: Params{Temperature: 1, TopP: 1, RepetitionPenalty: 2, PresencePenalty: 0.5,
				FrequencyPenalty: 0.25},
			want: []float64{0.25, -3, 0.5, 1},
		},
		{
			// Window of 2 holds only token 1: token 0 is untouched.
			name: "mlx-lm window 2",
			p: Params{Temperature: 1, TopP: 1, RepetitionPenalty: 2, PresencePenalty: 0.5,
				FrequencyPenalty: 0.25, RepetitionContext: 2},
			want: []float64{2, -3, 0.5, 1},
		},
		{
			name: "llama.cpp",
			p: Params{Temperature: 1, TopP: 1, RepetitionPenalty: 2, PresencePenalty: 0.5,
				FrequencyPenalty: 0.25, Sampler: SamplerLlamaCpp},
			want: []float64{0.25, -3, 0.5, 1},
		},
		{
			// Every input id, penalized once however often it occurs.
			name: "transformers",
			p:    Params{Temperature: 1, TopP: 1, RepetitionPenalty: 2, Sampler: SamplerTransformers},
			want: []float64{1, -2, 0.5, 1},
		},
		{
			// Bias first, then the penalty divides the biased logit: (2+2)/2.
			name: "bias then penalty",
			p: Params{Temperature: 1, TopP: 1, RepetitionPenalty: 2,
				LogitBias: map[int32]float64{0: 2, 3: -1}},
			want: []float64{2, -2, 0.5, 0},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := New(c.p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Sample(logits, history, 1, NewStream(0, 0), 0); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.w, c.want) {
				t.Errorf("penalized logits = %v, want %v", s.w, c.want)
			}
		})
	}
}

func TestGreedy(t *testing.T) {
	logits := []float32{1, 3, 3, -2} // tie between 1 and 2: the lower id wins
	for _, name := range []string{SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp} {
		t.Run(name, func(t *testing.T) {
			p := Params{Temperature: 0, TopP: 0.5, TopK: 1, MinP: 0.5, RepetitionPenalty: 1,
				Sampler: name}
			s, err := New(p)
			if err != nil {
				t.Fatal(err)
			}
			rng := NewStream(9, 0)
			step, err := s.Sample(logits, nil, 0, rng, 4)
			if err != nil {
				t.Fatal(err)
			}
			if step.Token != 1 || !step.Greedy || step.Prob != 1 || step.Kept != 1 {
				t.Errorf("step = %+v, want token 1, greedy, prob 1, kept 1", step)
			}
			if rng.Draws() != 0 {
				t.Errorf("greedy step consumed %d draws, want 0", rng.Draws())
			}
			// No stream at all is fine at temperature 0.
			if _, err := s.Sample(logits, nil, 0, nil, 0); err != nil {
				t.Errorf("greedy without a stream: %v", err)
			}
		})
	}

	// A repetition penalty can move the argmax.
	p := Params{Temperature: 0, TopP: 1, RepetitionPenalty: 4}
	s, _ := New(p)
	step, _ := s.Sample([]float32{2, 1}, []int32{0}, 1, nil, 0)
	if step.Token != 1 {
		t.Errorf("greedy after penalty picked %d, want 1", step.Token)
	}
}

// randomCase draws logits (sometimes with ties), a history and knob values.
func randomCase(r *rand.Rand, vocab int) (Params, []float32, []int32) {
	sigma := []float64{0.5, 2, 5}[r.IntN(3)]
	logits := make([]float32, vocab)
	for i := range logits {
		v := r.NormFloat64() * sigma
		if r.IntN(3) == 0 {
			v = math.Round(v*4) / 4 // ties
		}
		logits[i] = float32(v)
	}
	history := make([]int32, r.IntN(80))
	for i := range history {
		history[i] = int32(r.IntN(min(vocab, 30)))
	}
	samplers := []string{SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp}
	p := Params{
		Temperature:       []float64{0.3, 0.7, 1, 1.5}[r.IntN(4)],
		TopP:              []float64{1, 0.95, 0.9, 0.5, 0.1}[r.IntN(5)],
		TopK:              []int{0, 0, 1, 5, 40, vocab + 3}[r.IntN(6)],
		MinP:              []float64{0, 0, 0.05, 0.2}[r.IntN(4)],
		RepetitionPenalty: []float64{1, 1.1, 1.5, 0.8}[r.IntN(4)],
		Sampler:           samplers[r.IntN(3)],
	}
	if p.Sampler != SamplerTransformers {
		p.PresencePenalty = []float64{0, 0.5}[r.IntN(2)]
		p.FrequencyPenalty = []float64{0, 0.3}[r.IntN(2)]
		p.RepetitionContext = []int{0, 5, 64}[r.IntN(3)]
	}
	if r.IntN(3) == 0 {
		p.LogitBias = map[int32]float64{int32(r.IntN(vocab)): 3, int32(r.IntN(vocab)): -2}
	}
	return p, logits, history
}

// TestSamplerMatchesReference runs the fast sampler and the plain reference chain on
// random inputs: same kept sets, same removing filter, probabilities within 1e-9.
func TestSamplerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for n := range 620 {
		vocab := []int{3, 17, 200, 1500}[n%4]
		p, logits, history := randomCase(r, vocab)
		if n >= 600 {
			// A scope too large for topPCutDirect: top_k 6000 of 20000.
			vocab = 20000
			p, logits, history = randomCase(r, vocab)
			p.TopK, p.TopP = 6000, 0.9
			if p.Sampler == SamplerMLXLM {
				p.Sampler = SamplerLlamaCpp
			}
		}
		want, pen, removed := referenceDistribution(p, logits, history)
		step, cands := inspectAll(t, p, logits, history)
		penLogprobs := logSoftmax(pen)
		raw := make([]float64, len(logits))
		for i, v := range logits {
			raw[i] = float64(v)
		}
		rawLogprobs := logSoftmax(raw)

		for id := range logits {
			c := cands[id]
			if c.RemovedBy != removed[id] {
				t.Fatalf("case %d %+v: token %d removed_by %q, reference %q",
					n, p, id, c.RemovedBy, removed[id])
			}
			if math.Abs(c.Prob-want[id]) > 1e-9 {
				t.Fatalf("case %d %+v: token %d prob %.12g, reference %.12g",
					n, p, id, c.Prob, want[id])
			}
			if lp := rawLogprobs[id]; math.Abs(c.Logprob-lp) > 1e-9 {
				t.Fatalf("case %d: token %d logprob %v, reference %v", n, id, c.Logprob, lp)
			}
			if lp := penLogprobs[id]; math.Abs(c.PenalizedLogprob-lp) > 1e-9 {
				t.Fatalf("case %d: token %d penalized_logprob %v, reference %v",
					n, id, c.PenalizedLogprob, lp)
			}
		}
		if want := slices.Index(rankOrder(pen), step.Token); step.Rank != want {
			t.Fatalf("case %d: rank %d, reference %d", n, step.Rank, want)
		}
		kept := 0
		for _, v := range removed {
			if v == "" {
				kept++
			}
		}
		if step.Kept != kept {
			t.Fatalf("case %d %+v: kept %d, reference %d", n, p, step.Kept, kept)
		}
	}
}
