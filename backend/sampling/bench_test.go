package sampling

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// benchVocab is Llama 3's vocabulary size, the default model's.
const benchVocab = 128256

// realisticLogits imitates a language model's output over a 128k vocabulary: a
// Gaussian bulk (mean 0, sd 2.5) and a handful of peaks 8 to 16 above it.
func realisticLogits(seed uint64, peaks bool) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	logits := make([]float32, benchVocab)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 2.5)
	}
	if peaks {
		for j, v := range []float32{16, 14.5, 13, 12, 10, 9, 8} {
			logits[(j*7919+13)%benchVocab] = v
		}
	}
	return logits
}

func benchHistory() []int32 {
	h := make([]int32, 200)
	for i := range h {
		h[i] = int32((i * 7919) % benchVocab)
	}
	return h
}

func benchmarkSampler(b *testing.B, p Params, peaks bool, inspectK int) {
	s, err := New(p)
	if err != nil {
		b.Fatal(err)
	}
	logits := realisticLogits(1, peaks)
	history := benchHistory()
	rng := NewStream(1, 0)
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := s.Sample(logits, history, 100, rng, inspectK); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time per step: on a shared, loaded machine wall time overstates the cost.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

// processCPU returns the user+system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Each chain at the settings a person would use, with the inspector on (K = 10),
// which is how the app runs.
func BenchmarkStepMLXLM(b *testing.B) {
	benchmarkSampler(b, Params{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1.1}, true, 10)
}

func BenchmarkStepTransformers(b *testing.B) {
	benchmarkSampler(b, Params{Temperature: 0.7, TopK: 50, TopP: 0.95, RepetitionPenalty: 1.1,
		Sampler: SamplerTransformers}, true, 10)
}

func BenchmarkStepLlamaCpp(b *testing.B) {
	p := Defaults(SamplerLlamaCpp)
	p.RepetitionPenalty = 1.1
	benchmarkSampler(b, p, true, 10)
}

func BenchmarkStepGreedy(b *testing.B) {
	benchmarkSampler(b, Params{Temperature: 0, TopP: 1, RepetitionPenalty: 1.1}, true, 10)
}

// The expensive cases: no peaks (mass spread over tens of thousands of tokens), no
// filter (the draw walks the whole vocabulary), and the inspector off.
func BenchmarkStepMLXLMFlatTopP(b *testing.B) {
	benchmarkSampler(b, Params{Temperature: 1, TopP: 0.95, RepetitionPenalty: 1.1}, false, 10)
}

func BenchmarkStepMLXLMNoFilter(b *testing.B) {
	benchmarkSampler(b, Params{Temperature: 0.8, TopP: 1, RepetitionPenalty: 1}, true, 10)
}

func BenchmarkStepMLXLMNoInspect(b *testing.B) {
	benchmarkSampler(b, Params{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1.1}, true, 0)
}

func BenchmarkExpDet(b *testing.B) {
	x := -3.7
	sum := 0.0
	for b.Loop() {
		sum += expDet(x)
	}
	_ = sum
}
