package lab

import "fmt"

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

// Error is a request the lab refuses, with a sentence for the user.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// ErrorCode returns the stable snake_case code.
func (e *Error) ErrorCode() string { return e.Code }

func (e *Error) Unwrap() error { return e.Err }

func labError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
