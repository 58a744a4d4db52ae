// Package apperr turns backend errors into the {code, message} pairs that people see.
//
// Backend packages define their own error types; an error the UI or the CLI must branch
// on implements ErrorCode (and, when there is something the user can do about it,
// Remedy). This package only reads those methods, so no engine package imports it; the
// service packages (lab, store) share Coded as their error type.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Coded is a failure a person can act on: Code is a stable snake_case code, Message a
// sentence for the user and Err, when set, the underlying cause.
type Coded struct {
	Code    string
	Message string
	Err     error
}

// Errorf returns a Coded error with a formatted message and no cause.
func Errorf(code, format string, args ...any) *Coded {
	return &Coded{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Coded) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// ErrorCode returns the stable snake_case code.
func (e *Coded) ErrorCode() string { return e.Code }

func (e *Coded) Unwrap() error { return e.Err }

// CodeInternal is the code of an error that carries no code of its own.
const CodeInternal = "internal"

// Error is what the UI receives in place of a Go error. The UI branches on Code, which
// is snake_case and stable, and shows Message, which is a sentence for a person.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the message, so that an Error is itself an error.
func (e Error) Error() string {
	return e.Message
}

// coder is implemented by errors that the UI must tell apart.
type coder interface {
	ErrorCode() string
}

// remedier is implemented by errors that know what the user can do about them.
type remedier interface {
	Remedy() string
}

// Format walks err's chain for the first error with a code and returns the code with a
// message built from the whole chain and, if any error in the chain offers one, a
// remedy. An error without a code in its chain gets CodeInternal.
func Format(err error) Error {
	if err == nil {
		return Error{}
	}
	code := CodeInternal
	var c coder
	if errors.As(err, &c) {
		code = c.ErrorCode()
	}
	msg := sentence(err.Error())
	var r remedier
	if errors.As(err, &r) {
		if remedy := sentence(r.Remedy()); remedy != "" {
			msg += " " + remedy
		}
	}
	return Error{Code: code, Message: msg}
}

// ErrorFormatter is Format in the shape of options.App.ErrorFormatter in Wails: what it
// returns is marshalled to JSON and rejected into the frontend's promise.
func ErrorFormatter(err error) any {
	return Format(err)
}

// Message is the text of Format(err): what the CLI prints.
func Message(err error) string {
	return Format(err).Message
}

// sentence capitalises s and ends it with a full stop, since internal errors are
// lowercase fragments without trailing punctuation. A first word that is an identifier
// (top_p, min_p) or a one-word knob key (temp, seed) keeps its case, so that the user
// can search for it and recognise the knob: "temp must be …", never "Temp must be …".
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	first := s
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		first = s[:i]
	}
	if isLowerWord(first) && !knobKeys[strings.TrimSuffix(first, ":")] {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.ContainsAny(s[len(s)-1:], ".!?") {
		s += "."
	}
	return s
}

// knobKeys are the regime keys (the CLI's and the JSON's) made of one plain word; keys
// with an underscore are identifiers already.
var knobKeys = map[string]bool{"temp": true, "seed": true, "sampler": true}

// isLowerWord reports whether w is made of ASCII lowercase letters only, with an
// optional trailing colon.
func isLowerWord(w string) bool {
	w = strings.TrimSuffix(w, ":")
	if w == "" {
		return false
	}
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
