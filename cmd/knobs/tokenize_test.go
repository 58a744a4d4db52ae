package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/demomodel"
	"github.com/knobs-app/knobs/backend/tokenizer"
)

// tokenizeJSON is the documented --json shape, decoded strictly by the cases below.
type tokenizeJSON struct {
	IDs    []int32  `json:"ids"`
	Tokens []string `json:"tokens"`
}

// TestTokenize runs "knobs tokenize" on the built-in demo model, whose tokenizer is a
// Llama 3 style byte-level BPE with a BOS post-processor and a chat template that writes
// BOS itself. The expected ids come from the tokenizer package; the test checks what
// the command adds: the output formats, one BOS with --chat and the exit codes.
func TestTokenize(t *testing.T) {
	dir, err := demomodel.ExtractTo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	bos, ok := tok.TokenID("<|begin_of_text|>")
	if !ok {
		t.Fatal("the demo tokenizer has no <|begin_of_text|>")
	}
	const text = "Hello world, the knobs"
	chatIDs := func(system string) []int32 {
		msgs := []tokenizer.Message{{Role: "user", Content: text}}
		s, err := tok.ApplyChatTemplate(msgs,
			tokenizer.ChatOptions{AddGenerationPrompt: true, System: system})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Encode(s, false)
	}

	cases := []struct {
		name string
		args []string
		// want are the ids printed; nil for a case that must fail.
		want []int32
		json bool
		code int
		says string // in stderr, for a failing case
	}{
		{name: "plain", args: []string{"--model", dir, text},
			want: tok.Encode(text, true)},
		{name: "flags after the text", args: []string{text, "--model", dir},
			want: tok.Encode(text, true)},
		{name: "json", args: []string{"--model", dir, "--json", text},
			want: tok.Encode(text, true), json: true},
		{name: "chat", args: []string{"--model", dir, "--chat", "--json", text},
			want: chatIDs(""), json: true},
		{name: "chat with system", args: []string{"--model", dir, "--chat", "--system",
			"Be brief", "--json", text}, want: chatIDs("Be brief"), json: true},
		{name: "chat text", args: []string{"--model", dir, "--chat", text},
			want: chatIDs("")},

		{name: "no model", args: []string{text}, code: 2, says: "--model"},
		{name: "no text", args: []string{"--model", dir}, code: 2, says: "one TEXT"},
		{name: "two texts", args: []string{"--model", dir, "a", "b"}, code: 2,
			says: "got 2"},
		{name: "system without chat", args: []string{"--model", dir, "--system", "x", text},
			code: 2, says: "--chat"},
		{name: "unknown flag", args: []string{"--model", dir, "--nope", text}, code: 2,
			says: "nope"},
		{name: "missing model dir", args: []string{"--model",
			filepath.Join(t.TempDir(), "absent"), text}, code: 1, says: "tokenizer.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := knobs(append([]string{"tokenize"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			if tc.want == nil {
				if !strings.Contains(stderr, tc.says) || stdout != "" {
					t.Errorf("stderr %q, stdout %q; want stderr mentioning %q and no stdout",
						stderr, stdout, tc.says)
				}
				return
			}

			var ids []int32
			if tc.json {
				ids = checkTokenizeJSON(t, tok, stdout)
			} else {
				ids = checkTokenizeText(t, tok, stdout)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ids %v, want %v", ids, tc.want)
			}
			// One BOS, first: the chat template writes it and the command must not
			// add a second.
			if len(ids) == 0 || ids[0] != bos || slices.Index(ids[1:], bos) >= 0 {
				t.Errorf("want exactly one BOS (%d), first; got %v", bos, ids)
			}
		})
	}
}

// checkTokenizeJSON checks that stdout is one JSON object with exactly the keys "ids"
// and "tokens", each token the display form of its id, and returns the ids.
func checkTokenizeJSON(t *testing.T, tok *tokenizer.Tokenizer, stdout string) []int32 {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &keys); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	if len(keys) != 2 || keys["ids"] == nil || keys["tokens"] == nil {
		t.Errorf("JSON keys: %s; want exactly ids and tokens", stdout)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var out tokenizeJSON
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(stdout, "}\n") {
		t.Errorf("the JSON object does not end its line: %q", stdout)
	}
	want := make([]string, len(out.IDs))
	for i, id := range out.IDs {
		want[i] = tok.TokenText(id)
	}
	if !reflect.DeepEqual(out.Tokens, want) {
		t.Errorf("tokens %q, want the display forms of the ids %q", out.Tokens, want)
	}
	return out.IDs
}

// checkTokenizeText checks the readable output, one `id<TAB>"token"` line per token and
// a count line, and returns the ids.
func checkTokenizeText(t *testing.T, tok *tokenizer.Tokenizer, stdout string) []int32 {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	if want := fmt.Sprintf("%d tokens", len(lines)); last != want {
		t.Errorf("last line %q, want %q", last, want)
	}
	ids := make([]int32, len(lines))
	for i, line := range lines {
		if _, err := fmt.Sscanf(line, "%d\t", &ids[i]); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		if want := fmt.Sprintf("%d\t%q", ids[i], tok.TokenText(ids[i])); line != want {
			t.Errorf("line %d %q, want %q", i, line, want)
		}
	}
	return ids
}
