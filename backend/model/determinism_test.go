package model

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/knobs-app/knobs/backend/model/modeltest"
)

// midSpec is a model big enough for the kernels and the attention to run on several
// workers, small enough to write in a moment.
func midSpec() modeltest.Spec {
	s, _ := modeltest.Tiny("tiny-llama-q4")
	// Each matrix spans several of the kernels' 64 KiB chunks, so the rows are split
	// over the workers.
	s.HiddenSize, s.IntermediateSize, s.NumHiddenLayers = 512, 1024, 2
	s.NumAttentionHeads, s.NumKeyValueHeads, s.HeadDim = 8, 2, 64
	s.VocabSize = 2048
	s.Overrides = nil
	return s
}

func writeModel(t testing.TB, s modeltest.Spec) string {
	t.Helper()
	dir := t.TempDir()
	if err := modeltest.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

var detPrompt = []int32{1, 17, 42, 99, 3, 250, 7, 64, 128, 5, 200, 31, 77}

// decodeColumns prefills detPrompt once, forks it into len(columns) caches and decodes
// column i's tokens in it, all columns in one batch per step. It returns every step's
// logits per column.
func decodeColumns(t *testing.T, m *Model, columns [][]int32) [][][]float32 {
	t.Helper()
	vocab := m.VocabSize()
	logits := make([]float32, len(columns)*vocab)
	root := m.NewCache()
	if err := m.Prefill(root, detPrompt, logits); err != nil {
		t.Fatal(err)
	}
	caches := m.Fork(root, len(columns))
	out := make([][][]float32, len(columns))
	for step := range columns[0] {
		tokens := make([]int32, len(columns))
		for i, col := range columns {
			tokens[i] = col[step]
		}
		if err := m.DecodeBatch(caches, tokens, logits); err != nil {
			t.Fatal(err)
		}
		for i := range columns {
			out[i] = append(out[i], slices.Clone(logits[i*vocab:(i+1)*vocab]))
		}
	}
	return out
}

func sameBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestDeterminism checks that a sequence's logits are bit-identical whether it is
// decoded alone or as one of five columns, whatever GOMAXPROCS, and when its tokens
// come through one chunked prefill instead of decode steps.
func TestDeterminism(t *testing.T) {
	dir := writeModel(t, midSpec())
	columns := [][]int32{
		{5, 6, 7, 8, 9, 10}, {300, 2, 2, 2, 2, 2}, {1000, 999, 998, 997, 996, 995},
		{5, 6, 7, 8, 9, 11}, {42, 42, 42, 42, 42, 42},
	}

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var want [][][]float32
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		m, err := LoadWithOptions(dir, Options{PrefillChunk: 4})
		if err != nil {
			t.Fatal(err)
		}
		batch := decodeColumns(t, m, columns)
		if want == nil {
			want = batch
		}
		for i, col := range columns {
			alone := decodeColumns(t, m, [][]int32{col})[0]
			for step := range col {
				if !sameBits(batch[i][step], want[i][step]) {
					t.Errorf("GOMAXPROCS=%d column %d step %d: batch logits differ from GOMAXPROCS=1",
						procs, i, step)
				}
				if !sameBits(alone[step], batch[i][step]) {
					t.Errorf("GOMAXPROCS=%d column %d step %d: alone and batched logits differ",
						procs, i, step)
				}
			}
		}

		// The same tokens through one chunked prefill give the same last logits.
		logits := make([]float32, m.VocabSize())
		seq := append(slices.Clone(detPrompt), columns[2]...)
		if err := m.Prefill(m.NewCache(), seq, logits); err != nil {
			t.Fatal(err)
		}
		if !sameBits(logits, want[2][len(columns[2])-1]) {
			t.Errorf("GOMAXPROCS=%d: prefill and decode logits differ", procs)
		}
		m.Close()
	}
}

// TestForkLeavesParentUsable decodes the parent after forking and checks that the
// forks still see only the shared prefix.
func TestForkLeavesParentUsable(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "models", "tiny-qwen3-q4"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	vocab := m.VocabSize()
	logits := make([]float32, 2*vocab)
	parent := m.NewCache()
	if err := m.Prefill(parent, detPrompt, logits); err != nil {
		t.Fatal(err)
	}
	kids := m.Fork(parent, 2)
	for range 3 {
		if err := m.DecodeBatch([]*Cache{parent}, []int32{9}, logits); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.DecodeBatch(kids, []int32{4, 4}, logits); err != nil {
		t.Fatal(err)
	}
	fresh := make([]float32, vocab)
	if err := m.Prefill(m.NewCache(), append(slices.Clone(detPrompt), 4), fresh); err != nil {
		t.Fatal(err)
	}
	for i := range kids {
		if !sameBits(logits[i*vocab:(i+1)*vocab], fresh) {
			t.Errorf("fork %d sees the parent's later tokens", i)
		}
		if kids[i].Len() != len(detPrompt)+1 || parent.Len() != len(detPrompt)+3 {
			t.Errorf("lengths: fork %d, parent %d", kids[i].Len(), parent.Len())
		}
	}
}

// TestContextLimit fills a cache to the limit and checks the next token is refused
// with ErrContextFull, leaving the cache as it was.
func TestContextLimit(t *testing.T) {
	m, err := LoadWithOptions(filepath.Join("testdata", "models", "tiny-llama-q4"),
		Options{ContextLength: 16, PrefillChunk: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	logits := make([]float32, m.VocabSize())
	c := m.NewCache()
	if err := m.Prefill(c, detPrompt, logits); err != nil {
		t.Fatal(err)
	}
	err = m.Prefill(c, []int32{1, 2, 3, 4}, logits)
	if !errors.Is(err, ErrContextFull) {
		t.Fatalf("prefill past the limit: got %v, want ErrContextFull", err)
	}
	for c.Len() < 16 {
		if err := m.DecodeBatch([]*Cache{c}, []int32{3}, logits); err != nil {
			t.Fatal(err)
		}
	}
	err = m.DecodeBatch([]*Cache{c}, []int32{3}, logits)
	if !errors.Is(err, ErrContextFull) || c.Len() != 16 {
		t.Fatalf("decode past the limit: got %v with %d positions", err, c.Len())
	}
	t.Log(err)
}

// TestDecodeBatchValidation checks the argument errors of DecodeBatch and Prefill.
func TestDecodeBatchValidation(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "models", "tiny-llama-q4"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	vocab := m.VocabSize()
	logits := make([]float32, 9*vocab)
	c := m.NewCache()
	many := make([]*Cache, 9)
	for i := range many {
		many[i] = m.NewCache()
	}
	cases := []struct {
		name string
		run  func() error
	}{
		{"empty batch", func() error { return m.DecodeBatch(nil, nil, logits) }},
		{"batch of 9", func() error { return m.DecodeBatch(many, make([]int32, 9), logits) }},
		{"same cache twice", func() error {
			return m.DecodeBatch([]*Cache{c, c}, []int32{1, 1}, logits)
		}},
		{"token out of range", func() error {
			return m.DecodeBatch([]*Cache{c}, []int32{int32(vocab)}, logits)
		}},
		{"short logits", func() error { return m.DecodeBatch([]*Cache{c}, []int32{1}, logits[:3]) }},
		{"empty prefill", func() error { return m.Prefill(c, nil, logits) }},
		{"negative token", func() error { return m.Prefill(c, []int32{-1}, logits) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
		})
	}
	if c.Len() != 0 {
		t.Errorf("a refused call changed the cache: %d positions", c.Len())
	}
	_ = fmt.Sprint()
}

// TestForkAcrossBlocks forks a cache in the middle of its second KV block and decodes
// the forks past the next block boundary; each fork's logits must equal those of one
// prefill of the same whole sequence.
func TestForkAcrossBlocks(t *testing.T) {
	m, err := LoadWithOptions(filepath.Join("testdata", "models", "tiny-qwen3-q4"),
		Options{PrefillChunk: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	vocab := m.VocabSize()
	prompt := make([]int32, kvBlockLen+kvBlockLen/2)
	for i := range prompt {
		prompt[i] = int32((i*37 + 5) % vocab)
	}
	logits := make([]float32, 3*vocab)
	root := m.NewCache()
	if err := m.Prefill(root, prompt, logits); err != nil {
		t.Fatal(err)
	}
	forks := m.Fork(root, 3)
	seqs := make([][]int32, 3)
	for step := range kvBlockLen {
		tokens := []int32{int32(step % vocab), int32((3 * step) % vocab), 9}
		if err := m.DecodeBatch(forks, tokens, logits); err != nil {
			t.Fatal(err)
		}
		for i := range seqs {
			seqs[i] = append(seqs[i], tokens[i])
		}
	}
	want := make([]float32, vocab)
	for i, seq := range seqs {
		if err := m.Prefill(m.NewCache(), append(slices.Clone(prompt), seq...), want); err != nil {
			t.Fatal(err)
		}
		if !sameBits(logits[i*vocab:(i+1)*vocab], want) {
			t.Errorf("fork %d: logits differ from a single prefill of its sequence", i)
		}
	}
}
