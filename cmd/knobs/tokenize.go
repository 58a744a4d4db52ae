package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/knobs-app/knobs/backend/tokenizer"
)

func init() {
	register(&command{
		name:    "tokenize",
		summary: "show the token ids and tokens of a text",
		usage:   "tokenize --model DIR [--chat] [--system TEXT] [--json] TEXT",
		run:     runTokenize,
	})
}

// tokenizeOutput is the --json output: {"ids": [...], "tokens": [...]}, where tokens
// are the display forms of the ids (tokenizer.TokenText).
type tokenizeOutput struct {
	IDs    []int32  `json:"ids"`
	Tokens []string `json:"tokens"`
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tokenize", stderr)
	modelDir := fs.String("model", "", "model directory holding tokenizer.json")
	chat := fs.Bool("chat", false,
		"render TEXT as the user message of the chat template, with the generation prompt")
	system := fs.String("system", "", "system prompt for --chat")
	asJSON := fs.Bool("json", false, `print {"ids": [...], "tokens": [...]}`)
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *modelDir == "":
		return usageErrorf("--model DIR is required")
	case len(positional) != 1:
		return usageErrorf("expected one TEXT argument, got %d", len(positional))
	case *system != "" && !*chat:
		return usageErrorf("--system needs --chat")
	}

	tok, err := tokenizer.LoadDir(*modelDir)
	if err != nil {
		return err
	}
	text, addSpecial := positional[0], true
	if *chat {
		msgs := []tokenizer.Message{{Role: "user", Content: text}}
		opts := tokenizer.ChatOptions{AddGenerationPrompt: true, System: *system}
		if text, err = tok.ApplyChatTemplate(msgs, opts); err != nil {
			return err
		}
		// The template wrote the BOS token; adding it again would double it.
		addSpecial = false
	}

	out := tokenizeOutput{IDs: tok.Encode(text, addSpecial)}
	out.Tokens = make([]string, len(out.IDs))
	for i, id := range out.IDs {
		out.Tokens[i] = tok.TokenText(id)
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	return printTokens(stdout, out)
}

// printTokens writes one "id<TAB>token" line per token, the token quoted as a Go string
// so that spaces and newlines show.
func printTokens(w io.Writer, out tokenizeOutput) error {
	var b strings.Builder
	for i, id := range out.IDs {
		fmt.Fprintf(&b, "%d\t%q\n", id, out.Tokens[i])
	}
	fmt.Fprintf(&b, "%d tokens\n", len(out.IDs))
	_, err := io.WriteString(w, b.String())
	return err
}
