package store

import (
	"strings"
	"unicode/utf8"

	"github.com/knobs-app/knobs/backend/sampling"
)

// MaxRegimeTokens bounds max_tokens of one regime; a longer run belongs in a chat
// client, not a side-by-side lesson.
const MaxRegimeTokens = 8192

// maxNameLen bounds preset and column names (in characters) so they fit a column header.
const maxNameLen = 64

// Regime is one column's settings: the knobs plus how long to generate and where to
// stop. Its JSON flattens Params, so the keys are the CLI's regime keys
// ("temp", "top_p", ..., "seed", "sampler", "max_tokens").
type Regime struct {
	// Name labels the column ("Creative", "my test").
	Name string `json:"name,omitempty"`
	sampling.Params
	// MaxTokens is the most tokens the column generates; 0 means the caller's default.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Stop ends the column when the generated text contains one of these strings.
	Stop []string `json:"stop,omitempty"`
}

// Validate checks the knobs and the limits. Its errors name the knob, the value received
// and what is allowed.
func (r Regime) Validate() error {
	if err := validateParams(r.Params); err != nil {
		return &Error{Code: CodeInvalidRegime, Message: "invalid regime", Err: err}
	}
	if r.MaxTokens < 0 || r.MaxTokens > MaxRegimeTokens {
		return newError(CodeInvalidRegime,
			"max_tokens must be in [1, %d] (0 for the default), got %d",
			MaxRegimeTokens, r.MaxTokens)
	}
	for _, s := range r.Stop {
		if s == "" {
			return newError(CodeInvalidRegime, "stop strings must not be empty")
		}
	}
	return validName("regime name", r.Name, true)
}

// validName checks a preset or column name.
func validName(what, name string, emptyOK bool) error {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0 && !emptyOK:
		return newError(CodeInvalidPreset, "%s must not be empty", what)
	case n > maxNameLen:
		return newError(CodeInvalidPreset,
			"%s must be at most %d characters, got %d", what, maxNameLen, n)
	case strings.TrimSpace(name) != name:
		return newError(CodeInvalidPreset,
			"%s must not start or end with spaces, got %q", what, name)
	case !utf8.ValidString(name):
		return newError(CodeInvalidPreset, "%s must be valid UTF-8", what)
	}
	return nil
}

// validateParams defers to sampling, which owns the allowed ranges. A zero that is
// not a valid setting (top_p 0, repetition_penalty 0, sampler "") reads as the
// default, as sampling.Params.WithDefaults documents, so a preset file may leave
// those keys out.
func validateParams(p sampling.Params) error { return p.WithDefaults().Validate() }
