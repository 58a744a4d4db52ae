package store

import (
	"errors"

	"github.com/knobs-app/knobs/backend/apperr"
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

// Error is a failure a person can act on; Code is one of the Code constants.
type Error = apperr.Coded

func newError(code, format string, args ...any) *Error {
	return apperr.Errorf(code, format, args...)
}

// IsCode reports whether err's chain holds a store Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
