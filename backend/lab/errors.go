package lab

import "github.com/knobs-app/knobs/backend/apperr"

// Error codes of this package; the UI branches on them.
const (
	CodeBusy          = "lab_busy"
	CodeNoModel       = "model_not_ready"
	CodeEmptyPrompt   = "empty_prompt"
	CodePromptTooLong = "prompt_too_long"
	CodeBadRequest    = "invalid_request"
	CodeInvalidKnob   = "invalid_knob"
	CodeNotReplayable = "run_not_replayable"
)

// Error is a failure a person can act on; Code is one of the Code constants.
type Error = apperr.Coded

func labError(code, format string, args ...any) *Error {
	return apperr.Errorf(code, format, args...)
}
