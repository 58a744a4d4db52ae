package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/knobs-app/knobs/backend/model/modeltest"
)

// referenceFixture is what tools/torchref (and tools/oracle) print: a greedy
// continuation of a prompt and, for every step, the top-k log-softmax values.
type referenceFixture struct {
	Reference string  `json:"reference"`
	PromptIDs []int32 `json:"prompt_ids"`
	Tokens    []int32 `json:"tokens"`
	Steps     []struct {
		TopIDs      []int32   `json:"top_ids"`
		TopLogprobs []float64 `json:"top_logprobs"`
	} `json:"steps"`
}

// referenceTolerance is the largest allowed difference between the engine's and a
// float64 reference's log-softmax, on the tiny models.
const referenceTolerance = 1e-4

// tieMargin is the gap between the reference's two best tokens under which a different
// greedy choice is not counted as a failure (the float32 engine may legitimately flip).
const tieMargin = 1e-4

// TestAgainstReferences runs every tiny model over its fixture prompt, feeding the
// reference's own continuation, and compares the log-softmax at every step with the
// committed outputs of the independent references. Regenerate the fixtures with
// tools/torchref/regen.sh (torch) and tools/oracle/regen.sh (llama.cpp).
func TestAgainstReferences(t *testing.T) {
	for _, name := range modeltest.TinyNames() {
		for _, ref := range []string{"torch", "llamacpp"} {
			path := filepath.Join("testdata", "ref", name+"."+ref+".json")
			t.Run(name+"/"+ref, func(t *testing.T) {
				fx := readFixture(t, path)
				for _, chunk := range []int{0, 5} {
					checkAgainst(t, name, fx, chunk)
				}
			})
		}
	}
}

func readFixture(t *testing.T, path string) *referenceFixture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fx referenceFixture
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &fx
}

// checkAgainst prefills the prompt (in chunks of chunk tokens, 0 for the default) and
// decodes the reference's tokens one at a time.
func checkAgainst(t *testing.T, name string, fx *referenceFixture, chunk int) {
	t.Helper()
	m, err := LoadWithOptions(filepath.Join("testdata", "models", name), Options{PrefillChunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	logits := make([]float32, m.VocabSize())
	c := m.NewCache()
	if err := m.Prefill(c, fx.PromptIDs, logits); err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, step := range fx.Steps {
		logprobs := LogSoftmax(nil, logits)
		for j, id := range step.TopIDs {
			worst = max(worst, math.Abs(logprobs[id]-step.TopLogprobs[j]))
		}
		got := Argmax(logits)
		gap := step.TopLogprobs[0] - step.TopLogprobs[1]
		if got != fx.Tokens[i] && gap > tieMargin {
			t.Errorf("chunk %d step %d: greedy token %d, reference %d (gap %.3g)",
				chunk, i, got, fx.Tokens[i], gap)
		}
		if i+1 < len(fx.Steps) {
			if err := m.DecodeBatch([]*Cache{c}, fx.Tokens[i:i+1], logits); err != nil {
				t.Fatal(err)
			}
		}
	}
	if worst > referenceTolerance {
		t.Errorf("chunk %d: max |logprob - reference| = %.3g, allowed %.0e",
			chunk, worst, referenceTolerance)
	}
	t.Logf("chunk %d: max |logprob - %s| = %.2g", chunk, fx.Reference, worst)
}

// TestGenerateGreedy runs the greedy generation loop end to end on each tiny model and
// compares its tokens and log-probabilities with the torch reference.
func TestGenerateGreedy(t *testing.T) {
	for _, name := range modeltest.TinyNames() {
		t.Run(name, func(t *testing.T) {
			fx := readFixture(t, filepath.Join("testdata", "ref", name+".torch.json"))
			m, err := Load(filepath.Join("testdata", "models", name))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var streamed int
			g, err := Generate(m, fx.PromptIDs, GenerateOptions{MaxTokens: len(fx.Tokens), TopLogprobs: 3},
				func(GeneratedToken) error { streamed++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if g.StopReason != StopLength || len(g.Tokens) != len(fx.Tokens) || streamed != len(g.Tokens) {
				t.Fatalf("stop %q after %d tokens (%d streamed), want length after %d",
					g.StopReason, len(g.Tokens), streamed, len(fx.Tokens))
			}
			for i, tok := range g.Tokens {
				step := fx.Steps[i]
				if tok.ID != fx.Tokens[i] && step.TopLogprobs[0]-step.TopLogprobs[1] > tieMargin {
					t.Fatalf("token %d: %d, reference %d", i, tok.ID, fx.Tokens[i])
				}
				if d := math.Abs(tok.Logprob - step.TopLogprobs[0]); d > referenceTolerance {
					t.Errorf("token %d: logprob off by %.3g", i, d)
				}
				if len(tok.Top) != 3 || tok.Top[0].ID != tok.ID {
					t.Errorf("token %d: top %v", i, tok.Top)
				}
			}
		})
	}
}

// TestGenerateStops checks the stop-token and context-length endings.
func TestGenerateStops(t *testing.T) {
	name := "tiny-llama-bf16"
	fx := readFixture(t, filepath.Join("testdata", "ref", name+".torch.json"))
	m, err := LoadWithOptions(filepath.Join("testdata", "models", name),
		Options{ContextLength: len(fx.PromptIDs) + 3})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	g, err := Generate(m, fx.PromptIDs, GenerateOptions{MaxTokens: 8, StopTokens: fx.Tokens[2:3]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.StopReason != StopToken || len(g.Tokens) != 2 {
		t.Errorf("stop token: %q after %d tokens, want stop after 2", g.StopReason, len(g.Tokens))
	}
	g, err = Generate(m, fx.PromptIDs, GenerateOptions{MaxTokens: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.StopReason != StopContext || len(g.Tokens) != 4 {
		t.Errorf("context: %q after %d tokens, want context after 4", g.StopReason, len(g.Tokens))
	}
}

func TestTopK(t *testing.T) {
	got := TopK([]float64{-3, -1, -2, -1, -5}, 3)
	want := []TokenLogprob{{1, -1}, {3, -1}, {2, -2}}
	if !slices.Equal(got, want) {
		t.Errorf("TopK = %v, want %v", got, want)
	}
	if len(TopK([]float64{-1}, 0)) != 0 {
		t.Error("TopK(k=0) not empty")
	}
}

// TestReferencesAgree checks the two references against each other: the same greedy
// tokens and log-softmax values within the tolerance, so that a fixture regenerated
// with a broken tool is noticed.
func TestReferencesAgree(t *testing.T) {
	for _, name := range modeltest.TinyNames() {
		t.Run(name, func(t *testing.T) {
			torch := readFixture(t, filepath.Join("testdata", "ref", name+".torch.json"))
			llama := readFixture(t, filepath.Join("testdata", "ref", name+".llamacpp.json"))
			if !slices.Equal(torch.Tokens, llama.Tokens) ||
				!slices.Equal(torch.PromptIDs, llama.PromptIDs) {
				t.Fatalf("tokens differ: torch %v, llama.cpp %v", torch.Tokens, llama.Tokens)
			}
			worst := 0.0
			for i, ts := range torch.Steps {
				ls := llama.Steps[i]
				for j, id := range ts.TopIDs {
					if k := slices.Index(ls.TopIDs, id); k >= 0 {
						worst = max(worst, math.Abs(ts.TopLogprobs[j]-ls.TopLogprobs[k]))
					}
				}
			}
			if worst > referenceTolerance {
				t.Errorf("max |torch - llama.cpp| = %.3g", worst)
			}
		})
	}
}
