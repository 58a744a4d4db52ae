// Package sampling owns the knobs: the transforms that turn a model's logits into the
// distribution a token is drawn from, the sampler chains of mlx-lm, transformers and
// llama.cpp, the seeded random streams, and the per-step inspection data.
package sampling

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
