package model

import (
	"os"
	"testing"
)

// benchModelDir is where the 1B-shaped random model is, for the benchmarks: set
// KNOBS_BENCH_MODEL (knobs bench --shape llama-3.2-1b writes one into the user
// cache dir); without it the benchmarks skip.
func benchModel(b *testing.B) *Model {
	dir := os.Getenv("KNOBS_BENCH_MODEL")
	if dir == "" {
		b.Skip("KNOBS_BENCH_MODEL is not set")
	}
	m, err := LoadWithOptions(dir, Options{ContextLength: 1024})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

func benchDecode(b *testing.B, columns int) {
	m := benchModel(b)
	vocab := m.VocabSize()
	logits := make([]float32, columns*vocab)
	root := m.NewCache()
	if err := m.Prefill(root, detPrompt, logits); err != nil {
		b.Fatal(err)
	}
	tokens := make([]int32, columns)
	// Fork again only when the context is about to fill: a fork clears
	// the columns' caches, which a decode step does not pay for.
	caches := m.Fork(root, columns)
	steps := 0
	b.ResetTimer()
	for b.Loop() {
		if steps++; steps == 512 {
			b.StopTimer()
			caches, steps = m.Fork(root, columns), 0
			b.StartTimer()
		}
		if err := m.DecodeBatch(caches, tokens, logits); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(m.WeightBytes())
}

func BenchmarkDecode1(b *testing.B) { benchDecode(b, 1) }
func BenchmarkDecode5(b *testing.B) { benchDecode(b, 5) }

func BenchmarkPrefill64(b *testing.B) {
	m := benchModel(b)
	prompt := make([]int32, 64)
	for i := range prompt {
		prompt[i] = int32(i * 997 % m.VocabSize())
	}
	logits := make([]float32, m.VocabSize())
	for b.Loop() {
		if err := m.Prefill(m.NewCache(), prompt, logits); err != nil {
			b.Fatal(err)
		}
	}
}
