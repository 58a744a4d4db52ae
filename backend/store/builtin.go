package store

import "github.com/knobs-app/knobs/backend/sampling"

// builtinPreset is a preset shipped with Knobs. Its key is stable across versions; its
// name, description and knobs may be improved by a later version, which then updates the
// stored row (keeping the user's favourite, hidden and order choices).
type builtinPreset struct {
	key, name, description string
	regime                 Regime
}

// knobs returns mlx-lm's neutral settings with the given temperature and top_p. In
// mlx-lm top_p 1.0, top_k 0, min_p 0 and repetition_penalty 1.0 each switch their step
// off, so only the named knobs act.
func knobs(temp, topP float64) sampling.Params {
	return sampling.Params{
		Temperature:       temp,
		TopP:              topP,
		RepetitionPenalty: 1,
		Sampler:           "mlx-lm",
	}
}

// builtins teach the knobs in the order a lesson introduces them: each pair differs in
// one knob, so putting two side by side shows what that knob does.
var builtins = []builtinPreset{
	{"greedy", "Greedy",
		"Temperature 0: always the most likely token. The same prompt gives the same text " +
			"every time, reliable and sometimes repetitive.",
		Regime{Params: knobs(0, 1)}},
	{"default-zone", "Default zone",
		"Temperature 0.7 with top_p 0.95, what most chat APIs default to: a little " +
			"sharpening and the worst of the long tail trimmed.",
		Regime{Params: knobs(0.7, 0.95)}},
	{"creative", "Creative",
		"Temperature 1.5 with top_p 0.95: flatter choices, surprising words; good for " +
			"brainstorming, poor at following instructions.",
		Regime{Params: knobs(1.5, 0.95)}},
	{"untamed", "Untamed",
		"Temperature 2.5 with top_p off (1.0): the whole tail is in play and the text " +
			"soon falls apart. Compare with Tamed.",
		Regime{Params: knobs(2.5, 1)}},
	{"tamed", "Tamed",
		"Temperature 2.5 with top_p 0.9: the same heat as Untamed, but the tail is cut " +
			"before the draw, so the text stays readable.",
		Regime{Params: knobs(2.5, 0.9)}},
	{"loop-breaker", "Loop breaker",
		"Greedy with repetition_penalty 1.1 over the last 20 tokens: tokens just used " +
			"lose a little score, which breaks the loops small models fall into. " +
			"Compare with Greedy.",
		Regime{Params: func() sampling.Params {
			p := knobs(0, 1)
			p.RepetitionPenalty = 1.1
			p.RepetitionContext = 20
			return p
		}()}},
}
