package demomodel_test

import (
	"encoding/json"
	"flag"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/knobs-app/knobs/backend/demomodel"
	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/quant"
	"github.com/knobs-app/knobs/backend/safetensors"
	"github.com/knobs-app/knobs/backend/tokenizer"
)

var update = flag.Bool("update", false, "rewrite testdata/greedy.golden.json")

// logprobTolerance bounds |Go − torch| for a log-softmax value. The torch reference
// runs the same dequantized weights in float32; the remaining differences are
// summation order and exp/rsqrt rounding, a few 1e-6 on this model.
const logprobTolerance = 1e-3

// demoRoot is where the package's tests extract the model; TestMain removes it.
var demoRoot string

func TestMain(m *testing.M) {
	var err error
	demoRoot, err = os.MkdirTemp("", "knobs-demomodel-test-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(demoRoot)
	os.Exit(code)
}

// demo is the extracted model, loaded once for every test of the package.
var demo = sync.OnceValues(func() (*loaded, error) {
	dir, err := demomodel.ExtractTo(demoRoot)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	return &loaded{dir: dir, model: m, tok: tok}, nil
})

type loaded struct {
	dir   string
	model *model.Model
	tok   *tokenizer.Tokenizer
}

func loadDemo(t testing.TB) *loaded {
	t.Helper()
	d, err := demo()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestEmbeddedLayout(t *testing.T) {
	want := []string{
		"LICENSE", "README.md", "config.json", "generation_config.json",
		"model.safetensors", "tokenizer.json", "tokenizer_config.json",
	}
	var got []string
	entries, err := fs.ReadDir(demomodel.FS(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("embedded files %v, want %v", got, want)
	}

	d := loadDemo(t)
	f, err := safetensors.Open(filepath.Join(d.dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata()["format"] != "mlx" {
		t.Errorf("metadata %v, want format mlx", f.Metadata())
	}
	cfg := d.model.Config()
	if cfg.ModelType != "llama" || cfg.Quantization == nil ||
		cfg.Quantization.Bits != 4 || cfg.Quantization.GroupSize != 64 {
		t.Errorf("config: model_type %q, quantization %+v", cfg.ModelType, cfg.Quantization)
	}
	if d.tok.VocabSize() != d.model.VocabSize() {
		t.Errorf("tokenizer vocab %d, model vocab %d", d.tok.VocabSize(), d.model.VocabSize())
	}
}

func TestExtractToIsIdempotent(t *testing.T) {
	root := t.TempDir()
	dir1, err := demomodel.ExtractTo(root)
	if err != nil {
		t.Fatal(err)
	}
	dir2, err := demomodel.ExtractTo(root)
	if err != nil {
		t.Fatal(err)
	}
	if dir1 != dir2 {
		t.Fatalf("second extraction went to %s, first to %s", dir2, dir1)
	}

	// A truncated copy is replaced.
	if err := os.Truncate(filepath.Join(dir1, "model.safetensors"), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := demomodel.ExtractTo(root); err != nil {
		t.Fatal(err)
	}
	want, _ := fs.ReadFile(demomodel.FS(), "model.safetensors")
	got, err := os.ReadFile(filepath.Join(dir1, "model.safetensors"))
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("model.safetensors not restored (err %v, %d bytes)", err, len(got))
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("root holds %d entries, want only the model directory", len(entries))
	}
}

// tokenizerCase is one entry of testdata/tokenizer.json: a text and the ids that
// tools/train/bpe.py gives it.
type tokenizerCase struct {
	Text       string  `json:"text"`
	IDs        []int32 `json:"ids"`
	IDsWithBOS []int32 `json:"ids_with_bos"`
}

// TestTokenizerMatchesRecipe checks that the Go tokenizer reads the trained
// tokenizer.json exactly as the training recipe's own encoder does.
func TestTokenizerMatchesRecipe(t *testing.T) {
	d := loadDemo(t)
	var cases []tokenizerCase
	readJSON(t, "testdata/tokenizer.json", &cases)
	for _, c := range cases {
		t.Run(c.Text, func(t *testing.T) {
			if got := d.tok.Encode(c.Text, false); !slices.Equal(got, c.IDs) {
				t.Errorf("Encode(%q, false) = %v, want %v", c.Text, got, c.IDs)
			}
			if got := d.tok.Encode(c.Text, true); !slices.Equal(got, c.IDsWithBOS) {
				t.Errorf("Encode(%q, true) = %v, want %v", c.Text, got, c.IDsWithBOS)
			}
			if got := d.tok.Decode(c.IDs, false); got != c.Text {
				t.Errorf("Decode = %q, want %q", got, c.Text)
			}
		})
	}
}

// logitsFixture is testdata/logits.json: for each prompt, the top logprobs at every
// position as torch computes them from the dequantized weights (tools/train/export.py).
type logitsFixture struct {
	CheckpointStep int `json:"checkpoint_step"`
	Prompts        []struct {
		Text        string      `json:"text"`
		AddSpecial  bool        `json:"add_special_tokens"`
		IDs         []int32     `json:"ids"`
		TopIDs      [][]int32   `json:"top_ids"`
		TopLogprobs [][]float64 `json:"top_logprobs"`
	} `json:"prompts"`
}

// TestLogitsMatchTraining runs every prompt through the engine one token at a time
// (prefill of the first token, then single decode steps) and as one prefill, and
// compares the log-softmax with the training recipe's.
func TestLogitsMatchTraining(t *testing.T) {
	d := loadDemo(t)
	var fx logitsFixture
	readJSON(t, "testdata/logits.json", &fx)
	vocab := d.model.VocabSize()
	logits := make([]float32, vocab)
	var lp []float64

	for _, p := range fx.Prompts {
		t.Run(p.Text, func(t *testing.T) {
			if got := d.tok.Encode(p.Text, p.AddSpecial); !slices.Equal(got, p.IDs) {
				t.Fatalf("prompt encodes to %v, fixture has %v", got, p.IDs)
			}
			c := d.model.NewCache()
			var worst float64
			for pos, id := range p.IDs {
				var err error
				if pos == 0 {
					err = d.model.Prefill(c, p.IDs[:1], logits)
				} else {
					err = d.model.DecodeBatch([]*model.Cache{c}, []int32{id}, logits)
				}
				if err != nil {
					t.Fatal(err)
				}
				lp = model.LogSoftmax(lp, logits)
				worst = max(worst, compareTop(t, pos, lp, p.TopIDs[pos], p.TopLogprobs[pos]))
			}
			t.Logf("%d positions, max |Δ logprob| %.2g", len(p.IDs), worst)

			// The whole prompt as one prefill gives the last position's logits.
			c = d.model.NewCache()
			if err := d.model.Prefill(c, p.IDs, logits); err != nil {
				t.Fatal(err)
			}
			last := len(p.IDs) - 1
			compareTop(t, last, model.LogSoftmax(lp, logits), p.TopIDs[last], p.TopLogprobs[last])
		})
	}
}

// compareTop checks lp at the reference's top ids and that the engine's argmax is one
// of the reference's best (ties within the tolerance allowed); it returns the largest
// difference.
func compareTop(t *testing.T, pos int, lp []float64, ids []int32, want []float64) float64 {
	t.Helper()
	var worst float64
	for i, id := range ids {
		diff := math.Abs(lp[id] - want[i])
		worst = max(worst, diff)
		if diff > logprobTolerance {
			t.Errorf("position %d token %d: logprob %.6f, torch %.6f", pos, id, lp[id], want[i])
		}
	}
	best := slices.Index(ids, argmax(lp))
	if best < 0 || want[0]-want[best] > logprobTolerance {
		t.Errorf("position %d: argmax %d is not torch's top token %d", pos, argmax(lp), ids[0])
	}
	return worst
}

func argmax(lp []float64) int32 {
	best := 0
	for i, v := range lp {
		if v > lp[best] {
			best = i
		}
	}
	return int32(best)
}

// greedyGolden is testdata/greedy.golden.json.
type greedyGolden struct {
	Prompt string  `json:"prompt"`
	IDs    []int32 `json:"ids"`
	Text   string  `json:"text"`
}

const greedyPrompt = "And the LORD said unto Moses,"

// TestGreedyGolden generates greedily from a fixed prompt twice and compares the
// tokens with the committed golden file (go test -run Greedy -update rewrites it).
func TestGreedyGolden(t *testing.T) {
	d := loadDemo(t)
	run := func() greedyGolden {
		prompt := d.tok.Encode(greedyPrompt, true)
		opts := model.GenerateOptions{MaxTokens: 48, StopTokens: d.tok.StopTokens()}
		gen, err := model.Generate(d.model, prompt, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := greedyGolden{Prompt: greedyPrompt}
		for _, tk := range gen.Tokens {
			g.IDs = append(g.IDs, tk.ID)
		}
		g.Text = d.tok.Decode(g.IDs, false)
		return g
	}
	got := run()
	if again := run(); !slices.Equal(again.IDs, got.IDs) {
		t.Fatalf("greedy generation is not deterministic:\n%v\n%v", got.IDs, again.IDs)
	}

	const path = "testdata/greedy.golden.json"
	if *update {
		data, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var want greedyGolden
	readJSON(t, path, &want)
	if want.Prompt != got.Prompt || !slices.Equal(got.IDs, want.IDs) {
		t.Errorf("greedy output\n got %v %q\nwant %v %q", got.IDs, got.Text, want.IDs, want.Text)
	}
	t.Logf("%s%s", got.Prompt, got.Text)
}

// quantizeFixture is testdata/quantize.json: rows of trained weights and the MLX
// quantization tools/train/mlxquant.py gave them.
type quantizeFixture struct {
	Bits      int `json:"bits"`
	GroupSize int `json:"group_size"`
	Matrices  []struct {
		Name       string    `json:"name"`
		Rows       int       `json:"rows"`
		Cols       int       `json:"cols"`
		Weights    []float32 `json:"weights"`
		Packed     []uint32  `json:"packed"`
		ScalesBF16 []uint16  `json:"scales_bf16"`
		BiasesBF16 []uint16  `json:"biases_bf16"`
	} `json:"matrices"`
}

// TestExporterQuantizesLikeQuant checks the recipe's port of mx.quantize against
// quant.Quantize, bit for bit.
func TestExporterQuantizesLikeQuant(t *testing.T) {
	var fx quantizeFixture
	readJSON(t, "testdata/quantize.json", &fx)
	for _, m := range fx.Matrices {
		t.Run(m.Name, func(t *testing.T) {
			packed, scales, biases := quant.Quantize(m.Weights, m.Rows, m.Cols, fx.Bits, fx.GroupSize)
			if !slices.Equal(packed, m.Packed) {
				t.Errorf("packed codes differ")
			}
			for i := range scales {
				s, b := safetensors.Float32ToBF16(scales[i]), safetensors.Float32ToBF16(biases[i])
				if s != m.ScalesBF16[i] || b != m.BiasesBF16[i] {
					t.Errorf("group %d: scale %#04x bias %#04x, recipe %#04x %#04x",
						i, s, b, m.ScalesBF16[i], m.BiasesBF16[i])
				}
			}
		})
	}
}

// TestChatTemplate checks that the Go chat template renders a conversation as the
// recipe laid out its chat training windows (the last prompt of testdata/logits.json).
func TestChatTemplate(t *testing.T) {
	d := loadDemo(t)
	var fx logitsFixture
	readJSON(t, "testdata/logits.json", &fx)
	want := fx.Prompts[len(fx.Prompts)-1].Text
	msgs := []tokenizer.Message{{Role: "user", Content: "Who made the heaven and the earth?"}}
	got, err := d.tok.ApplyChatTemplate(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("chat template renders\n%q\nwant\n%q", got, want)
	}
}

// TestDirUsesTheUserCache checks that Dir extracts under os.UserCacheDir.
func TestDirUsesTheUserCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)           // macOS: ~/Library/Caches
	t.Setenv("XDG_CACHE_HOME", home) // other Unix systems
	t.Setenv("LocalAppData", home)   // Windows
	dir, err := demomodel.Dir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(dir, home) {
		t.Fatalf("Dir() = %s, want it under %s", dir, home)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}
}
