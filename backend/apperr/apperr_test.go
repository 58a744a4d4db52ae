package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

type notFound struct{ name string }

func (e *notFound) Error() string     { return "model " + e.name + " not found" }
func (e *notFound) ErrorCode() string { return "model_not_found" }
func (e *notFound) Remedy() string    { return "run knobs pull " + e.name }

type badKnob struct{}

func (badKnob) Error() string     { return "top_p must be in (0, 1], got 1.5" }
func (badKnob) ErrorCode() string { return "invalid_knob" }

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Error
	}{
		{
			name: "plain error is internal",
			err:  errors.New("read header: unexpected EOF"),
			want: Error{Code: "internal", Message: "Read header: unexpected EOF."},
		},
		{
			name: "coded error with remedy",
			err:  &notFound{name: "tiny"},
			want: Error{
				Code:    "model_not_found",
				Message: "Model tiny not found. Run knobs pull tiny.",
			},
		},
		{
			name: "code found through wrapping",
			err:  fmt.Errorf("load model: %w", &notFound{name: "tiny"}),
			want: Error{
				Code:    "model_not_found",
				Message: "Load model: model tiny not found. Run knobs pull tiny.",
			},
		},
		{
			name: "code without remedy",
			err:  fmt.Errorf("regime 2: %w", badKnob{}),
			want: Error{
				Code:    "invalid_knob",
				Message: "Regime 2: top_p must be in (0, 1], got 1.5.",
			},
		},
		{
			name: "code inside errors.Join",
			err:  errors.Join(errors.New("first"), badKnob{}),
			want: Error{Code: "invalid_knob", Message: "First\ntop_p must be in (0, 1], got 1.5."},
		},
		{
			name: "knob key keeps its case",
			err:  errors.New("temp must be 0 (greedy) or a finite number ≥ 1e-300, got -0.1"),
			want: Error{
				Code:    "internal",
				Message: "temp must be 0 (greedy) or a finite number ≥ 1e-300, got -0.1.",
			},
		},
		{
			name: "knob key with a colon keeps its case",
			err:  errors.New("seed: must be at most 9007199254740991"),
			want: Error{Code: "internal", Message: "seed: must be at most 9007199254740991."},
		},
		{
			name: "a word that starts like a knob key is capitalised",
			err:  errors.New("temperature out of range"),
			want: Error{Code: "internal", Message: "Temperature out of range."},
		},
		{
			name: "nil",
			err:  nil,
			want: Error{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.err); got != tt.want {
				t.Errorf("Format() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestErrorFormatterMarshalsCodeAndMessage(t *testing.T) {
	b, err := json.Marshal(ErrorFormatter(badKnob{}))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"invalid_knob","message":"top_p must be in (0, 1], got 1.5."}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}

func TestCoded(t *testing.T) {
	cause := errors.New("disk I/O error")
	e := &Coded{Code: "store_corrupt", Message: "the history database is damaged", Err: cause}
	if got, want := e.Error(), "the history database is damaged: disk I/O error"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("Coded does not unwrap to its cause")
	}
	plain := Errorf("lab_busy", "a comparison is running (%d columns)", 3)
	if got, want := plain.Error(), "a comparison is running (3 columns)"; got != want {
		t.Errorf("Errorf: %q, want %q", got, want)
	}
	if f := Format(plain); f.Code != "lab_busy" {
		t.Errorf("Format code = %q, want lab_busy", f.Code)
	}
}
