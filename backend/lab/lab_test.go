package lab

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/knobs-app/knobs/backend/lab/labtest"
	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/store"
)

var (
	modelOnce sync.Once
	modelDir  string
	modelErr  error
)

// testModel writes the labtest model once per test binary and returns a private copy
// of its directory when private is set (for tests that alter files).
func testModel(t *testing.T) string {
	t.Helper()
	modelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "knobs-lab-model-")
		if err != nil {
			modelErr = err
			return
		}
		modelDir, modelErr = dir, labtest.WriteModel(dir)
	})
	if modelErr != nil {
		t.Fatal(modelErr)
	}
	return modelDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if modelDir != "" {
		os.RemoveAll(modelDir)
	}
	os.Exit(code)
}

// newLab returns a lab with a fresh store and the test model loaded.
func newLab(t *testing.T, dir string) (*Lab, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "knobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l := New(Options{Store: st, AppVersion: "test"})
	t.Cleanup(func() { l.Close() })
	if err := l.Load(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	return l, st
}

func seeded(name string, p sampling.Params, seed uint64, maxTokens int) ColumnSpec {
	p.Seed = &seed
	return ColumnSpec{Regime: store.Regime{Name: name, Params: p, MaxTokens: maxTokens}}
}

func knobs(temp, topP float64) sampling.Params {
	p := sampling.Defaults(sampling.SamplerMLXLM)
	p.Temperature, p.TopP = temp, topP
	return p
}

// fiveRegimes spans greedy, the default zone, high temperature with and without
// top_p, and a penalty, with distinct seeds.
func fiveRegimes(maxTokens int) []ColumnSpec {
	// The random tiny model's distributions are peaked, so the sampled regimes run hot
	// enough that the columns differ.
	rep := knobs(1.5, 1)
	rep.RepetitionPenalty, rep.TopK, rep.MinP = 1.5, 40, 0.02
	return []ColumnSpec{
		seeded("greedy", knobs(0, 1), 1, maxTokens),
		seeded("warm", knobs(1.2, 0.98), 2, maxTokens),
		seeded("creative", knobs(1.8, 0.95), 3, maxTokens),
		seeded("untamed", knobs(2.5, 1), 4, maxTokens),
		seeded("penalty", rep, 5, maxTokens),
	}
}

func TestComparisonMatchesSingleRuns(t *testing.T) {
	l, st := newLab(t, testModel(t))
	ctx := context.Background()
	req := Request{Prompt: "Once upon a time", Columns: fiveRegimes(24), InspectK: 5}
	batch, err := l.Compare(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if batch.Status != store.StatusDone || len(batch.Columns) != 5 {
		t.Fatalf("comparison: status %s, %d columns", batch.Status, len(batch.Columns))
	}
	texts := map[string]bool{}
	for _, c := range batch.Columns {
		if len(c.Tokens) < 5 {
			t.Errorf("column %d generated only %d tokens (%s)", c.Index, len(c.Tokens), c.StopReason)
		}
		texts[c.Text] = true
		t.Logf("column %d: %d tokens %s %q", c.Index, len(c.Tokens), c.StopReason, c.Text)
	}
	if len(texts) < 4 {
		t.Errorf("the regimes should mostly differ; got %d distinct texts", len(texts))
	}
	for i, spec := range req.Columns {
		t.Run(spec.Regime.Name, func(t *testing.T) {
			single, err := l.Compare(ctx, Request{Kind: store.KindGenerate, Prompt: req.Prompt,
				Columns: []ColumnSpec{spec}, InspectK: 5}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, want := batch.Columns[i], single.Columns[0]
			if !slices.Equal(tokenIDs(got.Tokens), tokenIDs(want.Tokens)) || got.Text != want.Text ||
				got.StopReason != want.StopReason || got.Seed != want.Seed {
				t.Errorf("column %d differs from the run alone:\n batch %v %q %s\n alone %v %q %s",
					i, tokenIDs(got.Tokens), got.Text, got.StopReason,
					tokenIDs(want.Tokens), want.Text, want.StopReason)
			}
			for j := range min(len(got.Tokens), len(want.Tokens)) {
				if got.Tokens[j].Logprob != want.Tokens[j].Logprob ||
					!sameStep(got.Tokens[j].Sampling, want.Tokens[j].Sampling) {
					t.Errorf("token %d: inspection differs", j)
					break
				}
			}
			// And both equal a plain sequential loop without Prefill/Fork batching.
			ref := sequential(t, l, req.Prompt, spec, 5)
			if !slices.Equal(ref, tokenIDs(want.Tokens)) {
				t.Errorf("sequential loop %v, lab %v", ref, tokenIDs(want.Tokens))
			}
		})
	}

	// The comparison is recorded with its seeds and tokens.
	run, err := st.GetRun(batch.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.StatusDone || len(run.Columns) != 5 || run.Model.Hash == "" {
		t.Fatalf("recorded run: %+v", run)
	}
	for i, c := range run.Columns {
		if !slices.Equal(c.Tokens, tokenIDs(batch.Columns[i].Tokens)) || *c.Regime.Seed != uint64(i+1) {
			t.Errorf("recorded column %d: %v seed %d", i, c.Tokens, *c.Regime.Seed)
		}
	}
}

func sameStep(a, b *sampling.Step) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Token == b.Token && a.Prob == b.Prob && a.Entropy == b.Entropy &&
		a.Kept == b.Kept && slices.Equal(a.Candidates, b.Candidates)
}

// sequential generates spec's column with one cache and no fork: prefill, then one
// DecodeBatch of size 1 per token.
func sequential(t *testing.T, l *Lab, prompt string, spec ColumnSpec, inspectK int) []int32 {
	t.Helper()
	l.mu.Lock()
	res := l.model
	l.mu.Unlock()
	p, err := PreparePrompt(res.tok, prompt, false, "")
	if err != nil {
		t.Fatal(err)
	}
	params := spec.Regime.Params.WithDefaults()
	s, err := sampling.New(params)
	if err != nil {
		t.Fatal(err)
	}
	rng := sampling.NewStream(*params.Seed, 0)
	eng := res.engine
	cache := eng.NewCache()
	logits := make([]float32, eng.VocabSize())
	if err := eng.Prefill(cache, p.Tokens, logits); err != nil {
		t.Fatal(err)
	}
	history := slices.Clone(p.Tokens)
	var out []int32
	stops := res.tok.StopTokens()
	for len(out) < spec.Regime.MaxTokens {
		st, err := s.Sample(logits, history, len(p.Tokens), rng, inspectK)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(stops, st.Token) {
			break
		}
		out, history = append(out, st.Token), append(history, st.Token)
		if len(out) == spec.Regime.MaxTokens {
			break
		}
		if err := eng.DecodeBatch([]*model.Cache{cache}, []int32{st.Token}, logits); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestGreedyMatchesModelGenerate checks a greedy column against model.Generate, the
// engine's own one-sequence loop: tokens, logprobs, top candidates and stop reason, up
// to the end of the context.
func TestGreedyMatchesModelGenerate(t *testing.T) {
	l, _ := newLab(t, testModel(t))
	prompt := strings.Repeat("ab", 240) // 481 tokens: the column reaches the context
	res, err := l.Compare(context.Background(), Request{Prompt: prompt,
		Columns: []ColumnSpec{seeded("greedy", knobs(0, 1), 1, 100)}, InspectK: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Columns[0]

	l.mu.Lock()
	m := l.model
	l.mu.Unlock()
	p, _ := PreparePrompt(m.tok, prompt, false, "")
	g, err := model.Generate(m.engine, p.Tokens, model.GenerateOptions{MaxTokens: 100,
		TopLogprobs: 4, StopTokens: m.tok.StopTokens()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.StopReason != StopContextFull || got.StopReason != g.StopReason ||
		len(got.Tokens) != len(g.Tokens) {
		t.Fatalf("lab: %d tokens, %s; model.Generate: %d tokens, %s",
			len(got.Tokens), got.StopReason, len(g.Tokens), g.StopReason)
	}
	for i, want := range g.Tokens {
		tk := got.Tokens[i]
		if tk.ID != want.ID || tk.Logprob != want.Logprob || len(tk.Top) != len(want.Top) {
			t.Fatalf("token %d: lab %d %v, generate %d %v", i, tk.ID, tk.Logprob, want.ID, want.Logprob)
		}
		for j, c := range want.Top {
			if tk.Top[j].ID != c.ID || tk.Top[j].Logprob != c.Logprob {
				t.Fatalf("token %d top %d differs", i, j)
			}
		}
	}
}
