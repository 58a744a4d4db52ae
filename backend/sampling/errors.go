package sampling

import (
	"fmt"
	"math"
)

// KnobError reports a knob value that is out of range or not available in the chosen
// sampler chain. It names the knob by its JSON key, says what is allowed and what was
// received, e.g. "top_p must be in (0, 1], got 1.5".
type KnobError struct {
	Knob    string // JSON key of the knob, e.g. "top_p"
	Allowed string // what the knob accepts, e.g. "in (0, 1]"
	Got     string // the value received
}

func (e *KnobError) Error() string {
	return fmt.Sprintf("%s must be %s, got %s", e.Knob, e.Allowed, e.Got)
}

// ErrorCode returns "invalid_knob", the code the UI branches on.
func (e *KnobError) ErrorCode() string { return "invalid_knob" }

// LogitsError reports logits the sampler cannot use: a NaN or an infinity from the
// model, or a penalty that pushed a logit out of the finite range.
type LogitsError struct {
	Token int32   // first offending token id
	Value float64 // its value
	Stage string  // "logits" (as the model produced them) or "penalties"
}

func (e *LogitsError) Error() string {
	if e.Stage == "penalties" {
		return fmt.Sprintf("logit of token %d became %v after logit_bias and penalties: "+
			"reduce logit_bias, presence_penalty or frequency_penalty", e.Token, e.Value)
	}
	return fmt.Sprintf("logits[%d] is %v: the model produced a non-finite score; "+
		"the checkpoint or the forward pass is broken (try reloading the model or "+
		"another quantization)", e.Token, e.Value)
}

// ErrorCode returns "invalid_logits".
func (e *LogitsError) ErrorCode() string { return "invalid_logits" }

// knobErr builds a KnobError with the value formatted the way a person typed it.
func knobErr(knob, allowed string, got any) *KnobError {
	return &KnobError{Knob: knob, Allowed: allowed, Got: formatValue(got)}
}

func formatValue(v any) string {
	if f, ok := v.(float64); ok {
		if math.IsNaN(f) {
			return "NaN"
		}
		return fmt.Sprintf("%g", f)
	}
	return fmt.Sprint(v)
}
