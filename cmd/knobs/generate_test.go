package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/demomodel"
)

func TestTextOut(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		want   string
	}{
		{"empty text", nil, "\n"},
		{"no newline", []string{" and", " it was"}, " and it was\n"},
		{"ends with a newline", []string{" good", ".\n"}, " good.\n"},
		{"newline then empty writes", []string{"a\n", "", ""}, "a\n"},
		{"newline inside", []string{"a\nb"}, "a\nb\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			o := &textOut{w: &b}
			for _, s := range tc.writes {
				if err := o.write(s); err != nil {
					t.Fatal(err)
				}
			}
			o.endLine()
			o.endLine() // a second call adds nothing
			if b.String() != tc.want {
				t.Errorf("wrote %q, want %q", b.String(), tc.want)
			}
		})
	}
}

// TestGenerateEndsTextLine checks that "knobs generate" without --json prints the
// generated text followed by exactly one newline: one is added when the text does not
// end its line, none when it does. The demo model at temperature 3 writes verse ends
// such as ":\n" within a few dozen tokens; the same seed with a smaller --max-tokens
// stops right after such a token.
func TestGenerateEndsTextLine(t *testing.T) {
	dir, err := demomodel.ExtractTo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	generate := func(seed string, maxTokens int, extra ...string) string {
		args := append([]string{"generate", "--model", dir, "--prompt", "And God said",
			"--temp", "3", "--seed", seed, "--max-tokens", fmt.Sprint(maxTokens),
			"--data-dir", data}, extra...)
		stdout, stderr, code := knobs(args...)
		if code != 0 {
			t.Fatalf("generate: exit %d: %s", code, stderr)
		}
		return stdout
	}

	// Find a seed whose text reaches the end of a line, and where.
	var seed string
	ends := -1
	for s := 1; s <= 5 && ends < 0; s++ {
		seed = fmt.Sprint(s)
		var out generateOutput
		if err := json.Unmarshal([]byte(generate(seed, 60, "--json")), &out); err != nil {
			t.Fatal(err)
		}
		for i, tok := range out.Tokens {
			if strings.HasSuffix(tok.Text, "\n") {
				ends = i + 1
				break
			}
		}
	}
	if ends < 0 {
		t.Fatal("no seed from 1 to 5 gives a newline token in 60; the demo model changed? " +
			"pick another prompt or temperature")
	}

	for _, n := range []int{ends, max(ends-1, 1)} {
		t.Run(fmt.Sprintf("%d tokens", n), func(t *testing.T) {
			var out generateOutput
			if err := json.Unmarshal([]byte(generate(seed, n, "--json")), &out); err != nil {
				t.Fatal(err)
			}
			want := out.Text
			if !strings.HasSuffix(want, "\n") {
				want += "\n"
			}
			if got := generate(seed, n); got != want {
				t.Errorf("text mode printed %q, want %q", got, want)
			}
		})
	}
}
