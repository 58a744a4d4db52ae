package sampling

import (
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sync"
	"testing"
)

// toyModel returns logits that depend on the whole history, so that a different
// draw changes every later step.
func toyModel(history []int32, vocab int) []float32 {
	var h uint64 = 14695981039346656037
	for _, id := range history {
		h = (h ^ uint64(id)) * 1099511628211
	}
	// Integer-only arithmetic (no math.Exp inside NormFloat64): the same logits on
	// every machine. Sum of two uniforms in [-4, 4): a triangular bulk.
	r := rand.New(rand.NewPCG(h, uint64(len(history))))
	logits := make([]float32, vocab)
	for i := range logits {
		a, b := int64(r.Uint64()>>42), int64(r.Uint64()>>42) // 22 bits each
		logits[i] = float32(a+b-1<<22) / (1 << 20)
	}
	for j := range 4 {
		logits[r.IntN(vocab)] += float32(6 - j)
	}
	return logits
}

// generate runs n steps of one column and returns its steps (with inspection data).
func generate(t *testing.T, p Params, seed, column uint64, prompt []int32, n int) []Step {
	s, err := New(p)
	if err != nil {
		t.Error(err)
		return nil
	}
	rng := NewStream(seed, column)
	history := append([]int32(nil), prompt...)
	var steps []Step
	for range n {
		step, err := s.Sample(toyModel(history, 500), history, len(prompt), rng, DefaultInspectK)
		if err != nil {
			t.Error(err)
			return nil
		}
		steps = append(steps, step)
		history = append(history, step.Token)
	}
	return steps
}

func tokens(steps []Step) []int32 {
	out := make([]int32, len(steps))
	for i, s := range steps {
		out[i] = s.Token
	}
	return out
}

func TestReproducible(t *testing.T) {
	prompt := []int32{1, 2, 3, 4, 5}
	for _, p := range []Params{
		{Temperature: 0.9, TopP: 0.95, RepetitionPenalty: 1.1},
		{Temperature: 0.7, TopK: 50, TopP: 0.9, RepetitionPenalty: 1.2, Sampler: SamplerTransformers},
		Defaults(SamplerLlamaCpp),
	} {
		t.Run(p.Sampler, func(t *testing.T) {
			alone := generate(t, p, 99, 2, prompt, 40)
			again := generate(t, p, 99, 2, prompt, 40)
			if !reflect.DeepEqual(alone, again) {
				t.Fatal("the same seed gave different steps")
			}
			if other := generate(t, p, 100, 2, prompt, 40); reflect.DeepEqual(tokens(alone),
				tokens(other)) {
				t.Error("seeds 99 and 100 gave the same tokens")
			}

			// Column 2 of a batch of five, columns run concurrently, with 1 and 2 threads.
			for _, procs := range []int{1, 2} {
				prev := runtime.GOMAXPROCS(procs)
				batch := make([][]Step, 5)
				var wg sync.WaitGroup
				for c := range batch {
					wg.Go(func() { batch[c] = generate(t, p, 99, uint64(c), prompt, 40) })
				}
				wg.Wait()
				runtime.GOMAXPROCS(prev)
				if !reflect.DeepEqual(batch[2], alone) {
					t.Errorf("GOMAXPROCS=%d: column 2 of a batch differs from the column alone", procs)
				}
				if reflect.DeepEqual(tokens(batch[1]), tokens(batch[2])) {
					t.Errorf("columns 1 and 2 drew the same tokens")
				}
			}
		})
	}
}

// TestGoldenTokens pins one seeded run token by token. The draw uses only integer
// arithmetic and IEEE float64 operations without fused multiply-adds, so these are
// the tokens on every machine; a failure on one platform means that promise broke.
func TestGoldenTokens(t *testing.T) {
	p := Params{Temperature: 0.8, TopP: 0.9, MinP: 0.02, RepetitionPenalty: 1.15,
		PresencePenalty: 0.2}
	got := tokens(generate(t, p, 2026, 0, []int32{7, 8, 9}, 24))
	want := []int32{286, 246, 201, 315, 370, 33, 457, 160, 377, 248, 247, 257, 462, 404, 397,
		132, 64, 340, 333, 128, 48, 175, 296, 161}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokens = %#v\nwant     %#v", got, want)
	}
}

// TestLargeVocabulary covers vocabularies big enough for scan's two concurrent halves:
// the steps are the same with one or two threads, and match the reference chain.
func TestLargeVocabulary(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	logits := randomLogits(r, scanSplit+12345, 2.5, false)
	history := []int32{5, 9, 9, 400, 31000}
	for _, p := range []Params{
		{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1.1},
		{Temperature: 0.9, TopK: 50, TopP: 0.9, RepetitionPenalty: 1.1, Sampler: SamplerTransformers},
		{Temperature: 1.2, TopP: 1, MinP: 0.01, RepetitionPenalty: 1.1, FrequencyPenalty: 0.2,
			Sampler: SamplerLlamaCpp},
	} {
		var steps [2]Step
		for i, procs := range []int{1, 2} {
			prev := runtime.GOMAXPROCS(procs)
			s, _ := New(p)
			step, err := s.Sample(logits, history, 2, NewStream(3, 0), 20)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			steps[i] = step
		}
		if !reflect.DeepEqual(steps[0], steps[1]) {
			t.Errorf("%s: GOMAXPROCS 1 and 2 give different steps", p.Sampler)
		}

		want, pen, _ := referenceDistribution(p, logits, history)
		penLogprobs := logSoftmax(pen)
		for _, c := range steps[0].Candidates {
			if math.Abs(c.Prob-want[c.Token]) > 1e-9 ||
				math.Abs(c.PenalizedLogprob-penLogprobs[c.Token]) > 1e-9 {
				t.Errorf("%s: token %d prob %v / %v, penalized logprob %v / %v", p.Sampler,
					c.Token, c.Prob, want[c.Token], c.PenalizedLogprob, penLogprobs[c.Token])
			}
		}
	}
}
