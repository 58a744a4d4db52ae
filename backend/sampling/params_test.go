package sampling

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := Params{Temperature: 0.7, TopP: 0.95, RepetitionPenalty: 1}
	seed := func(v uint64) *uint64 { return &v }
	cases := []struct {
		name string
		edit func(p *Params)
		want string // the whole message
	}{
		{"temp negative", func(p *Params) { p.Temperature = -0.1 },
			"temp must be 0 (greedy) or a finite number ≥ 1e-300, got -0.1"},
		{"temp NaN", func(p *Params) { p.Temperature = math.NaN() },
			"temp must be 0 (greedy) or a finite number ≥ 1e-300, got NaN"},
		{"temp inf", func(p *Params) { p.Temperature = math.Inf(1) },
			"temp must be 0 (greedy) or a finite number ≥ 1e-300, got +Inf"},
		{"temp subnormal", func(p *Params) { p.Temperature = 5e-324 },
			"temp must be 0 (greedy) or a finite number ≥ 1e-300, got 5e-324"},
		{"top_p zero", func(p *Params) { p.TopP = 0 }, "top_p must be in (0, 1] (1 = off), got 0"},
		{"top_p above 1", func(p *Params) { p.TopP = 1.5 }, "top_p must be in (0, 1] (1 = off), got 1.5"},
		{"top_k negative", func(p *Params) { p.TopK = -1 }, "top_k must be ≥ 0 (0 = off), got -1"},
		{"min_p one", func(p *Params) { p.MinP = 1 }, "min_p must be in [0, 1) (0 = off), got 1"},
		{"min_p negative", func(p *Params) { p.MinP = -0.1 }, "min_p must be in [0, 1) (0 = off), got -0.1"},
		{"repetition_penalty zero", func(p *Params) { p.RepetitionPenalty = 0 },
			"repetition_penalty must be a finite number > 0 (1 = off), got 0"},
		{"repetition_context negative", func(p *Params) { p.RepetitionContext = -5 },
			"repetition_context must be ≥ 0 (0 = the sampler's default), got -5"},
		{"presence inf", func(p *Params) { p.PresencePenalty = math.Inf(-1) },
			"presence_penalty must be a finite number (0 = off), got -Inf"},
		{"frequency NaN", func(p *Params) { p.FrequencyPenalty = math.NaN() },
			"frequency_penalty must be a finite number (0 = off), got NaN"},
		{"logit_bias negative id", func(p *Params) { p.LogitBias = map[int32]float64{-3: 1} },
			"logit_bias must be keyed by token ids ≥ 0, got -3"},
		{"logit_bias inf", func(p *Params) { p.LogitBias = map[int32]float64{7: math.Inf(1)} },
			"logit_bias must be finite for token 7, got +Inf"},
		{"sampler unknown", func(p *Params) { p.Sampler = "vllm" },
			`sampler must be one of "mlx-lm", "transformers", "llama.cpp", got "vllm"`},
		{"seed too large", func(p *Params) { p.Seed = seed(1 << 60) },
			"seed must be at most 9007199254740991 (2^53 - 1), got 1152921504606846976"},
		{"transformers presence", func(p *Params) {
			p.Sampler, p.PresencePenalty = SamplerTransformers, 0.5
		}, "presence_penalty must be 0 with the transformers sampler (it has no such knob; " +
			"use mlx-lm or llama.cpp), got 0.5"},
		{"transformers window", func(p *Params) {
			p.Sampler, p.RepetitionContext = SamplerTransformers, 20
		}, "repetition_context must be 0 with the transformers sampler (it penalizes every " +
			"input id), got 20"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ok
			c.edit(&p)
			err := p.Validate()
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error", p)
			}
			if err.Error() != c.want {
				t.Errorf("message = %q\nwant      %q", err.Error(), c.want)
			}
			var ke *KnobError
			if !errors.As(err, &ke) || ke.ErrorCode() != "invalid_knob" {
				t.Errorf("error %T does not carry code invalid_knob", err)
			}
			if _, err := New(p); err == nil {
				t.Errorf("New accepted %+v", p)
			}
		})
	}

	for _, p := range []Params{ok, {Temperature: 0, TopP: 1, RepetitionPenalty: 1},
		{Temperature: 2, TopP: 1, TopK: 5, MinP: 0.99, RepetitionPenalty: 0.5,
			PresencePenalty: -2, Seed: seed(MaxSeed), Sampler: SamplerLlamaCpp}} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", p, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	for _, name := range []string{SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp} {
		p := Defaults(name)
		if err := p.Validate(); err != nil {
			t.Errorf("Defaults(%q) invalid: %v", name, err)
		}
		if p.Sampler != name {
			t.Errorf("Defaults(%q).Sampler = %q", name, p.Sampler)
		}
	}
	if p := Defaults(SamplerLlamaCpp); p.TopK != 40 || p.TopP != 0.95 || p.MinP != 0.05 ||
		p.Temperature != 0.8 || p.RepetitionContext != 64 {
		t.Errorf("llama.cpp defaults = %+v", p)
	}

	// WithDefaults fills zero values that are not valid settings, nothing else.
	got := Params{Temperature: 0.5, TopK: 0}.WithDefaults()
	want := Params{Temperature: 0.5, TopP: 1, RepetitionPenalty: 1, RepetitionContext: 20,
		Sampler: SamplerMLXLM}
	if got.Temperature != want.Temperature || got.TopP != want.TopP ||
		got.RepetitionPenalty != want.RepetitionPenalty ||
		got.RepetitionContext != want.RepetitionContext || got.Sampler != want.Sampler {
		t.Errorf("WithDefaults = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("WithDefaults result invalid: %v", err)
	}
	if got := (Params{Sampler: SamplerTransformers}).WithDefaults(); got.RepetitionContext != 0 {
		t.Errorf("transformers window = %d, want 0 (every input id)", got.RepetitionContext)
	}
	if got := (Params{Sampler: SamplerLlamaCpp}).WithDefaults(); got.RepetitionContext != 64 {
		t.Errorf("llama.cpp window = %d, want 64", got.RepetitionContext)
	}
}

func TestSampleInputErrors(t *testing.T) {
	s, err := New(Params{Temperature: 1, TopP: 0.9, RepetitionPenalty: 1.2,
		LogitBias: map[int32]float64{9: 1}})
	if err != nil {
		t.Fatal(err)
	}
	rng := NewStream(0, 0)
	good := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

	nan := append([]float32(nil), good...)
	nan[3] = float32(math.NaN())
	inf := append([]float32(nil), good...)
	inf[5] = float32(math.Inf(-1))

	cases := []struct {
		name     string
		logits   []float32
		history  []int32
		prompt   int
		code     string // ErrorCode, or "" for a plain error
		contains string
	}{
		{"NaN logit", nan, nil, 0, "invalid_logits", "logits[3] is NaN"},
		{"-Inf logit", inf, nil, 0, "invalid_logits", "logits[5] is -Inf"},
		{"empty logits", nil, nil, 0, "", "vocabulary of 0 tokens"},
		{"bias outside vocab", good[:5], nil, 0, "invalid_knob", "logit_bias"},
		{"history outside vocab", good, []int32{3, 12}, 2, "", "history token 12"},
		{"negative history id", good, []int32{-1}, 1, "", "history token -1"},
		{"prompt too long", good, []int32{1}, 2, "", "prompt length 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Sample(c.logits, c.history, c.prompt, rng, 3)
			if err == nil {
				t.Fatal("Sample returned no error")
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("error %q does not contain %q", err, c.contains)
			}
			var coded interface{ ErrorCode() string }
			if c.code != "" && (!errors.As(err, &coded) || coded.ErrorCode() != c.code) {
				t.Errorf("error %q: want code %q", err, c.code)
			}
		})
	}

	// A frequency penalty large enough to overflow a logit is reported, not clamped.
	s, _ = New(Params{Temperature: 1, TopP: 1, RepetitionPenalty: 1, FrequencyPenalty: 1e308})
	_, err = s.Sample(good, []int32{2, 2, 2}, 0, rng, 0)
	var le *LogitsError
	if !errors.As(err, &le) || le.Stage != "penalties" || le.Token != 2 {
		t.Errorf("overflowing penalty: err = %v, want a LogitsError for token 2", err)
	}
	if rng.Draws() != 0 {
		t.Errorf("failed steps consumed %d draws", rng.Draws())
	}
}
