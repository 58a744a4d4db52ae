package sampling

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Statistical check of the draw: for each configuration, 20,000 tokens are drawn with
// a fixed seed and their frequencies are compared with the reference chain's exact
// distribution by Pearson's chi-square test (cells with an expected count below 5
// are pooled). A configuration fails when the p-value is below alpha = 1e-4.
//
// False alarms: for a correct sampler and a seed chosen at random, each
// configuration fails with probability alpha, so all six together with at most
// 6 * 1e-4 = 0.06 % (union bound). The seeds are fixed, so the outcome is
// deterministic: a correct sampler passes every time; the figure says how unlucky a
// seed would have to be to fail a correct one.
const (
	statDraws = 20000
	statAlpha = 1e-4
)

func TestDrawsMatchDistribution(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	logits := randomLogits(r, 300, 2, false)
	logits[17], logits[42] = 6, 5.5 // two peaks
	history := []int32{17, 42, 42, 5, 9, 17, 3}

	llama := Defaults(SamplerLlamaCpp)
	llama.RepetitionPenalty, llama.FrequencyPenalty = 1.1, 0.1
	configs := []struct {
		name string
		p    Params
	}{
		{"mlx-lm top_p penalties", Params{Temperature: 0.8, TopP: 0.9, RepetitionPenalty: 1.2,
			PresencePenalty: 0.3}},
		{"mlx-lm min_p top_k", Params{Temperature: 1.3, TopP: 1, MinP: 0.05, TopK: 30,
			RepetitionPenalty: 1}},
		{"mlx-lm no filter", Params{Temperature: 1, TopP: 1, RepetitionPenalty: 1}},
		{"mlx-lm hot", Params{Temperature: 2.5, TopP: 0.99, RepetitionPenalty: 1}},
		{"transformers", Params{Temperature: 0.7, TopK: 40, TopP: 0.95, RepetitionPenalty: 1.1,
			Sampler: SamplerTransformers}},
		{"llama.cpp defaults", llama},
	}
	for i, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			want, _, _ := referenceDistribution(c.p, logits, history)
			s, err := New(c.p)
			if err != nil {
				t.Fatal(err)
			}
			rng := NewStream(2026+uint64(i), 0)
			counts := make([]int, len(logits))
			for range statDraws {
				step, err := s.Sample(logits, history, 2, rng, 0)
				if err != nil {
					t.Fatal(err)
				}
				counts[step.Token]++
			}

			// Removed tokens are never drawn.
			for id, n := range counts {
				if n > 0 && want[id] == 0 {
					t.Fatalf("token %d drawn %d times but has probability 0", id, n)
				}
			}
			stat, df := pearson(counts, want, statDraws)
			pValue := chiSquareSurvival(stat, df)
			t.Logf("chi2 = %.1f, df = %d, p = %.3f", stat, df, pValue)
			if pValue < statAlpha {
				t.Errorf("frequencies do not match the distribution: chi2 %.1f, df %d, p %.2g",
					stat, df, pValue)
			}
		})
	}
}

// pearson returns Pearson's statistic and its degrees of freedom, pooling the cells
// whose expected count is below 5.
func pearson(counts []int, probs []float64, n int) (float64, int) {
	stat, cells := 0.0, 0
	pooledObs, pooledExp := 0.0, 0.0
	for id, p := range probs {
		exp := p * float64(n)
		if exp == 0 {
			continue
		}
		if exp < 5 {
			pooledObs += float64(counts[id])
			pooledExp += exp
			continue
		}
		d := float64(counts[id]) - exp
		stat += d * d / exp
		cells++
	}
	if pooledExp >= 5 {
		d := pooledObs - pooledExp
		stat += d * d / pooledExp
		cells++
	}
	return stat, cells - 1
}

// chiSquareSurvival returns P(X >= x) for X chi-square distributed with df degrees of
// freedom: the regularized upper incomplete gamma function Q(df/2, x/2).
func chiSquareSurvival(x float64, df int) float64 {
	a, x := float64(df)/2, x/2
	if x <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a)
	front := math.Exp(-x + a*math.Log(x) - lg)
	if x < a+1 {
		// Series for the lower function P.
		sum, term := 1/a, 1/a
		for k := 1; k < 10000 && term > sum*1e-16; k++ {
			term *= x / (a + float64(k))
			sum += term
		}
		return 1 - front*sum
	}
	// Continued fraction for Q (modified Lentz).
	const tiny = 1e-300
	b := x + 1 - a
	c, d := 1/tiny, 1/b
	h := d
	for i := 1; i < 10000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		if math.Abs(d*c-1) < 1e-16 {
			break
		}
	}
	return front * h
}

func TestChiSquareSurvival(t *testing.T) {
	// 95th percentiles of the chi-square distribution (standard tables).
	for _, c := range []struct {
		x  float64
		df int
	}{{3.841458820694124, 1}, {9.487729036781154, 4}, {18.307038053275146, 10},
		{124.34211340400407, 100}} {
		if got := chiSquareSurvival(c.x, c.df); math.Abs(got-0.05) > 1e-9 {
			t.Errorf("survival(%v, %d) = %v, want 0.05", c.x, c.df, got)
		}
	}
}

// TestDrawRejectsWrongDistribution makes sure the test has teeth: the same draws
// judged against the distribution at another temperature fail.
func TestDrawRejectsWrongDistribution(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	logits := randomLogits(r, 50, 1, false)
	p := Params{Temperature: 1, TopP: 1, RepetitionPenalty: 1}
	s, _ := New(p)
	rng := NewStream(5, 0)
	counts := make([]int, len(logits))
	for range statDraws {
		step, _ := s.Sample(logits, nil, 0, rng, 0)
		counts[step.Token]++
	}
	p.Temperature = 1.1
	wrong, _, _ := referenceDistribution(p, logits, nil)
	stat, df := pearson(counts, wrong, statDraws)
	if pv := chiSquareSurvival(stat, df); pv >= statAlpha {
		t.Errorf("temperature 1 draws pass as temperature 1.1 (p = %v)", pv)
	}
}
