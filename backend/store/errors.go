package store

import (
	"errors"
	"fmt"
)

// Error codes of this package. They are stable: the UI branches on them.
const (
	CodeCorrupt         = "store_corrupt"
	CodeNewerSchema     = "store_newer_schema"
	CodeRunNotFound     = "run_not_found"
	CodePresetNotFound  = "preset_not_found"
	CodePresetBuiltin   = "preset_builtin"
	CodePresetExists    = "preset_exists"
	CodeInvalidPreset   = "invalid_preset"
	CodePresetFile      = "invalid_preset_file"
	CodeInvalidRegime   = "invalid_knob"
	CodeSettingsCorrupt = "settings_corrupt"
)

// Error is a failure a person can act on. Code is one of the Code constants; Message is
// a sentence for the user; Err, when set, is the underlying cause.
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

// ErrorCode returns the stable snake_case code of the error.
func (e *Error) ErrorCode() string { return e.Code }

func (e *Error) Unwrap() error { return e.Err }

func newError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// IsCode reports whether err's chain holds a store Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
