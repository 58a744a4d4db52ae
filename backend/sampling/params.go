// Package sampling owns the knobs: the transforms that turn a model's logits into the
// distribution a token is drawn from, the sampler chains of mlx-lm, transformers and
// llama.cpp, the seeded random streams, and the per-step inspection data.
package sampling

import (
	"fmt"
	"math"
	"slices"
)

// Params is one regime's knob values. The JSON keys are the CLI's regime keys and the
// names used in presets, settings and run records; they are a stable contract.
type Params struct {
	// Temperature divides the logits before the draw; 0 means argmax (greedy).
	Temperature float64 `json:"temp"`
	// TopP keeps the smallest set of tokens whose probability mass reaches it; 1 is off.
	TopP float64 `json:"top_p"`
	// TopK keeps the K most likely tokens; 0 is off.
	TopK int `json:"top_k"`
	// MinP drops tokens whose probability is below MinP times the top probability; 0 is off.
	MinP float64 `json:"min_p"`
	// RepetitionPenalty divides positive and multiplies negative logits of recent tokens;
	// 1 is off.
	RepetitionPenalty float64 `json:"repetition_penalty"`
	// RepetitionContext is how many recent tokens the penalties look at (mlx-lm's
	// repetition_context_size); 0 means the chain's own default.
	RepetitionContext int `json:"repetition_context"`
	// PresencePenalty is subtracted once from the logit of every token in the window.
	PresencePenalty float64 `json:"presence_penalty"`
	// FrequencyPenalty is subtracted from a token's logit once per occurrence in the window.
	FrequencyPenalty float64 `json:"frequency_penalty"`
	// LogitBias adds a fixed amount to the logits of the given token ids.
	LogitBias map[int32]float64 `json:"logit_bias,omitempty"`
	// Seed determines the run's random stream; nil means "draw one and record it".
	Seed *uint64 `json:"seed,omitempty"`
	// Sampler names the chain: "mlx-lm" (default), "transformers" or "llama.cpp".
	Sampler string `json:"sampler"`
}

// Sampler chain names, the values of Params.Sampler.
const (
	SamplerMLXLM        = "mlx-lm"
	SamplerTransformers = "transformers"
	SamplerLlamaCpp     = "llama.cpp"
)

// SamplerNames lists the chains in the order the UI and the CLI help show them.
func SamplerNames() []string {
	return []string{SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp}
}

// Default penalty windows (Params.RepetitionContext = 0): mlx-lm's
// repetition_context_size default and llama.cpp's penalty_last_n default.
// transformers penalizes every input id and has no window.
const (
	DefaultContextMLXLM    = 20
	DefaultContextLlamaCpp = 64
)

// MinTemperature is the smallest positive temperature: its reciprocal is finite.
const MinTemperature = 1e-300

// DefaultInspectK is how many candidates a step reports unless told otherwise.
const DefaultInspectK = 10

// Defaults returns the knob values each tool uses when none are given: mlx-lm's
// make_sampler/make_logits_processors (greedy), transformers' GenerationConfig with
// sampling on (temperature 1, top_k 50), and llama.cpp's common_params_sampling
// (temp 0.8, top_k 40, top_p 0.95, min_p 0.05). An unknown name gives mlx-lm's.
func Defaults(sampler string) Params {
	p := Params{TopP: 1, RepetitionPenalty: 1, Sampler: SamplerMLXLM}
	switch sampler {
	case SamplerTransformers:
		p.Sampler = sampler
		p.Temperature, p.TopK = 1, 50
	case SamplerLlamaCpp:
		p.Sampler = sampler
		p.Temperature, p.TopK, p.TopP, p.MinP = 0.8, 40, 0.95, 0.05
		p.RepetitionContext = DefaultContextLlamaCpp
	default:
		p.RepetitionContext = DefaultContextMLXLM
	}
	return p
}

// WithDefaults fills the knobs a preset or a JSON object left at their zero value
// where zero is not a valid setting: sampler "" becomes "mlx-lm", top_p 0 and
// repetition_penalty 0 become 1 (off, as mlx-lm reads 0 for both), and
// repetition_context 0 becomes the chain's window (20 for mlx-lm, 64 for llama.cpp;
// transformers keeps 0: every input id). Other values are left alone: temp 0 is
// greedy, top_k 0 and min_p 0 are off.
func (p Params) WithDefaults() Params {
	if p.Sampler == "" {
		p.Sampler = SamplerMLXLM
	}
	if p.TopP == 0 {
		p.TopP = 1
	}
	if p.RepetitionPenalty == 0 {
		p.RepetitionPenalty = 1
	}
	if p.RepetitionContext == 0 {
		switch p.Sampler {
		case SamplerMLXLM:
			p.RepetitionContext = DefaultContextMLXLM
		case SamplerLlamaCpp:
			p.RepetitionContext = DefaultContextLlamaCpp
		}
	}
	return p
}

// Validate checks every knob against its allowed range and against the chosen chain,
// and returns a *KnobError naming the first one that is wrong. It never adjusts a
// value. Sampler "" means mlx-lm.
func (p Params) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

	switch p.Sampler {
	case "", SamplerMLXLM, SamplerTransformers, SamplerLlamaCpp:
	default:
		return knobErr("sampler", `one of "mlx-lm", "transformers", "llama.cpp"`,
			fmt.Sprintf("%q", p.Sampler))
	}
	// A positive temperature must have a finite reciprocal (weights are computed as
	// distance × 1/temp); 1e-300 is far below any temperature that differs from greedy
	// in practice.
	if !(p.Temperature == 0 || p.Temperature >= MinTemperature) || !finite(p.Temperature) {
		return knobErr("temp", "0 (greedy) or a finite number ≥ 1e-300", p.Temperature)
	}
	if !(p.TopP > 0 && p.TopP <= 1) {
		return knobErr("top_p", "in (0, 1] (1 = off)", p.TopP)
	}
	if p.TopK < 0 {
		return knobErr("top_k", "≥ 0 (0 = off)", p.TopK)
	}
	if !(p.MinP >= 0 && p.MinP < 1) {
		return knobErr("min_p", "in [0, 1) (0 = off)", p.MinP)
	}
	if !(p.RepetitionPenalty > 0) || !finite(p.RepetitionPenalty) {
		return knobErr("repetition_penalty", "a finite number > 0 (1 = off)",
			p.RepetitionPenalty)
	}
	if p.RepetitionContext < 0 {
		return knobErr("repetition_context", "≥ 0 (0 = the sampler's default)",
			p.RepetitionContext)
	}
	if !finite(p.PresencePenalty) {
		return knobErr("presence_penalty", "a finite number (0 = off)", p.PresencePenalty)
	}
	if !finite(p.FrequencyPenalty) {
		return knobErr("frequency_penalty", "a finite number (0 = off)", p.FrequencyPenalty)
	}
	for _, id := range sortedBiasIDs(p.LogitBias) {
		if id < 0 {
			return knobErr("logit_bias", "keyed by token ids ≥ 0", id)
		}
		if v := p.LogitBias[id]; !finite(v) {
			return knobErr("logit_bias", fmt.Sprintf("finite for token %d", id), v)
		}
	}
	if p.Seed != nil && *p.Seed > MaxSeed {
		return knobErr("seed", "at most 9007199254740991 (2^53 - 1)", *p.Seed)
	}

	// transformers has no presence/frequency penalty and no penalty window: refuse
	// instead of silently applying something the tool does not do.
	if p.Sampler == SamplerTransformers {
		const why = "0 with the transformers sampler (it has no such knob; use mlx-lm or llama.cpp)"
		if p.PresencePenalty != 0 {
			return knobErr("presence_penalty", why, p.PresencePenalty)
		}
		if p.FrequencyPenalty != 0 {
			return knobErr("frequency_penalty", why, p.FrequencyPenalty)
		}
		if p.RepetitionContext != 0 {
			return knobErr("repetition_context",
				"0 with the transformers sampler (it penalizes every input id)",
				p.RepetitionContext)
		}
	}
	return nil
}

// sortedBiasIDs returns the keys of a logit_bias map in ascending order, so checks
// and additions happen in a fixed order.
func sortedBiasIDs(m map[int32]float64) []int32 {
	ids := make([]int32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
