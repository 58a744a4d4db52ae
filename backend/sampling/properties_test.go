package sampling

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomLogits draws n Gaussian logits with standard deviation sigma; with ties, many
// are rounded to a coarse grid so that equal logits occur.
func randomLogits(r *rand.Rand, n int, sigma float64, ties bool) []float32 {
	out := make([]float32, n)
	for i := range out {
		v := r.NormFloat64() * sigma
		if ties {
			v = math.Round(v*2) / 2
		}
		out[i] = float32(v)
	}
	return out
}

func TestPropertyTopPSmallestSet(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for n := range 300 {
		vocab := 5 + r.IntN(400)
		logits := randomLogits(r, vocab, []float64{0.3, 1, 3}[n%3], n%2 == 0)
		p := 0.05 + 0.9*r.Float64()
		for _, sampler := range []string{SamplerMLXLM, SamplerLlamaCpp} {
			params := Params{Temperature: 1, TopP: p, RepetitionPenalty: 1, Sampler: sampler}
			_, cands := inspectAll(t, params, logits, nil)

			w := make([]float64, vocab)
			for i, v := range logits {
				w[i] = float64(v)
			}
			probs := softmax(w)
			order := rankOrder(w)

			// The kept set is a prefix of the ranking, the removed ones say top_p.
			kept, mass, last := 0, 0.0, 0.0
			for j, id := range order {
				if cands[id].RemovedBy != "" {
					if cands[id].RemovedBy != "top_p" {
						t.Fatalf("case %d: token %d removed by %q", n, id, cands[id].RemovedBy)
					}
					continue
				}
				if j != kept {
					t.Fatalf("case %d: kept set is not a rank prefix (rank %d)", n, j)
				}
				kept++
				mass += probs[id]
				last = probs[id]
			}
			// It reaches p, and without its last token it would not (1e-12 slack for
			// the integer weights).
			if mass < p-1e-12 && kept < vocab {
				t.Fatalf("case %d: kept mass %.15f < top_p %.15f", n, mass, p)
			}
			if mass-last >= p+1e-12 {
				t.Fatalf("case %d: kept set not smallest: %.15f without the last >= %.15f",
					n, mass-last, p)
			}
			// Tie rule: a removed token tied with the last kept one has a larger id.
			if kept < vocab {
				lastID, nextID := order[kept-1], order[kept]
				if w[lastID] == w[nextID] && nextID < lastID {
					t.Fatalf("case %d: tie at the boundary broken against the id rule", n)
				}
			}
		}
	}
}

func TestPropertyMinPRelativeToMax(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for n := range 300 {
		vocab := 5 + r.IntN(400)
		logits := randomLogits(r, vocab, []float64{0.3, 1, 3}[n%3], false)
		minp := 0.01 + 0.9*r.Float64()
		for _, sampler := range []string{SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp} {
			temp := []float64{0.5, 1, 1.7}[n%3]
			params := Params{Temperature: temp, TopP: 1, MinP: minp, RepetitionPenalty: 1,
				Sampler: sampler}
			_, cands := inspectAll(t, params, logits, nil)

			// transformers compares tempered probabilities, the others untempered.
			ft := 1.0
			if sampler == SamplerTransformers {
				ft = temp
			}
			w := make([]float64, vocab)
			for i, v := range logits {
				w[i] = float64(v) / ft
			}
			probs := softmax(w)
			pmax := 0.0
			for _, q := range probs {
				pmax = math.Max(pmax, q)
			}
			for id, q := range probs {
				ratio := q / pmax
				if math.Abs(ratio-minp) < 1e-12 {
					continue // on the threshold itself rounding decides
				}
				if kept := cands[id].RemovedBy == ""; kept != (ratio >= minp) {
					t.Fatalf("case %d %s: token %d with p/pmax %.15f kept=%v at min_p %.15f",
						n, sampler, id, ratio, kept, minp)
				}
			}
		}
	}
}

func TestPropertyPenaltiesStayInWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for n := range 300 {
		p, logits, history := randomCase(r, 50+r.IntN(100))
		p.LogitBias = nil
		p.RepetitionPenalty, p.Temperature = 1.3, 1
		s, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sample(logits, history, len(history), NewStream(0, 0), 0); err != nil {
			t.Fatal(err)
		}
		window := history
		if s.window > 0 && s.window < len(history) {
			window = history[len(history)-s.window:]
		}
		in := map[int32]bool{}
		for _, id := range window {
			in[id] = true
		}
		for id, v := range logits {
			if !in[int32(id)] && s.w[id] != float64(v) {
				t.Fatalf("case %d %s: token %d outside the window changed %v -> %v",
					n, p.Sampler, id, v, s.w[id])
			}
			if in[int32(id)] && v != 0 && s.w[id] == float64(v) {
				t.Fatalf("case %d %s: token %d in the window was not penalized", n, p.Sampler, id)
			}
		}
	}
}

func TestPropertyRandomnessUse(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for n := range 300 {
		p, logits, history := randomCase(r, 3+r.IntN(300))
		if n%2 == 0 {
			p.Temperature = 0
		}
		s, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		rng := NewStream(uint64(n), 0)
		for range 3 {
			if _, err := s.Sample(logits, history, 0, rng, n%5); err != nil {
				t.Fatal(err)
			}
		}
		want := uint64(3) // exactly one word per sampled step
		if p.Temperature == 0 {
			want = 0 // temperature 0 never consumes randomness
		}
		if rng.Draws() != want {
			t.Fatalf("case %d temp %v: %d draws, want %d", n, p.Temperature, rng.Draws(), want)
		}
	}
}

// TestInspectionDoesNotChangeTheDraw: asking for candidates changes nothing else.
func TestInspectionDoesNotChangeTheDraw(t *testing.T) {
	r := rand.New(rand.NewPCG(29, 30))
	for n := range 200 {
		p, logits, history := randomCase(r, 3+r.IntN(2000))
		a, _ := New(p)
		b, _ := New(p)
		ra, rb := NewStream(uint64(n), 1), NewStream(uint64(n), 1)
		for range 3 {
			sa, err := a.Sample(logits, history, 0, ra, 0)
			if err != nil {
				t.Fatal(err)
			}
			sb, _ := b.Sample(logits, history, 0, rb, 7)
			sb.Candidates = nil
			if !reflect.DeepEqual(sa, sb) {
				t.Fatalf("case %d: step without inspection %+v, with %+v", n, sa, sb)
			}
		}
	}
}
