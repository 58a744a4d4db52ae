package sampling

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzSample feeds arbitrary knob values, logits and histories to the sampler: it
// must return a token or an error, never panic, and a token must be in range.
// `go test` runs the seed corpus; `go test -fuzz FuzzSample` explores.
func FuzzSample(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 0.7, 0.9, 5, 0.05, 1.1, uint8(0))
	f.Add([]byte{0xff, 0xff, 0xc0, 0x7f, 0, 0, 0, 0}, 0.0, 1.0, 0, 0.0, 1.0, uint8(1))
	f.Add([]byte{0, 0, 0x80, 0x7f, 1, 1, 1, 1, 2, 2, 2, 2}, 2.0, 0.5, 1, 0.9, 0.5, uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, temp, topP float64, topK int, minP, rep float64,
		which uint8) {
		logits := make([]float32, len(raw)/4)
		for i := range logits {
			logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		history := make([]int32, 0, len(raw))
		for _, b := range raw {
			history = append(history, int32(b)%int32(max(1, len(logits))))
		}
		p := Params{Temperature: temp, TopP: topP, TopK: topK, MinP: minP,
			RepetitionPenalty: rep, PresencePenalty: 0.1,
			Sampler: []string{SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp}[which%3]}
		if p.Sampler == SamplerTransformers {
			p.PresencePenalty = 0
		}
		s, err := New(p)
		if err != nil {
			return
		}
		step, err := s.Sample(logits, history, len(history)/2, NewStream(1, 2), 4)
		if err != nil {
			return
		}
		if step.Token < 0 || int(step.Token) >= len(logits) {
			t.Fatalf("token %d outside a vocabulary of %d", step.Token, len(logits))
		}
		if !(step.Prob > 0 && step.Prob <= 1) || math.IsNaN(step.Entropy) {
			t.Fatalf("step %+v has a bad probability or entropy", step)
		}
	})
}
