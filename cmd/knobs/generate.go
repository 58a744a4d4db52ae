package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/tokenizer"
)

func init() {
	register(&command{
		name:    "generate",
		summary: "generate a continuation of a prompt",
		usage: "generate --model DIR (--prompt TEXT | --prompt-ids 1,2,3) [--chat] " +
			"[--max-tokens N] [knob flags: --temp --top-p --top-k --min-p --seed ...] " +
			"[--logprobs K] [--json] [--data-dir DIR]",
		run: runGenerate,
	})
}

// generateOutput is the --json output; its keys are a documented contract.
type generateOutput struct {
	Text                   string           `json:"text"`
	Tokens                 []generatedToken `json:"tokens"`
	PromptTokens           int              `json:"prompt_tokens"`
	PromptTokenIDs         []int32          `json:"prompt_token_ids"`
	StopReason             string           `json:"stop_reason"`
	PrefillTokensPerSecond float64          `json:"prefill_tokens_per_second"`
	DecodeTokensPerSecond  float64          `json:"decode_tokens_per_second"`
	// Seed is the seed the run used (drawn when --seed was not given).
	Seed uint64 `json:"seed"`
	// RunID is the run's id in the history (0 when it was not recorded).
	RunID int64 `json:"run_id,omitempty"`
}

// generatedToken is one token of the --json output; logprob is the log-softmax of the
// raw logits, before any sampling transform.
type generatedToken struct {
	ID      int32          `json:"id"`
	Text    string         `json:"text"`
	Logprob float64        `json:"logprob"`
	Top     []tokenLogprob `json:"top"`
	// Sampling is what each knob did at this step (see docs/sampling.md).
	Sampling *sampling.Step `json:"sampling,omitempty"`
}

type tokenLogprob struct {
	ID      int32   `json:"id"`
	Text    string  `json:"text"`
	Logprob float64 `json:"logprob"`
}

type generateFlags struct {
	modelDir, prompt, promptIDs string
	chat, asJSON                bool
	maxTokens, logprobs         int
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	var f generateFlags
	fs := newFlagSet("generate", stderr)
	fs.StringVar(&f.modelDir, "model", "",
		"model: a directory, a hub repo id (pulled if needed) or \"demo\"; "+defaultModelHelp)
	fs.StringVar(&f.prompt, "prompt", "", "prompt text, tokenized with the model's tokenizer")
	fs.StringVar(&f.promptIDs, "prompt-ids", "", "prompt as comma-separated token ids (debugging)")
	fs.BoolVar(&f.chat, "chat", false, "render the prompt as a user message of the chat template")
	fs.IntVar(&f.maxTokens, "max-tokens", 256, "most tokens to generate")
	knobs := addKnobFlags(fs)
	dataDir := addDataDirFlag(fs)
	fs.IntVar(&f.logprobs, "logprobs", 0, "report the K most likely tokens at each step")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.modelDir == "" && f.promptIDs != "":
		return usageErrorf("--prompt-ids needs --model DIR")
	case (f.prompt == "") == (f.promptIDs == ""):
		return usageErrorf("give exactly one of --prompt and --prompt-ids")
	case f.maxTokens <= 0:
		return usageErrorf("--max-tokens must be positive, got %d", f.maxTokens)
	case f.logprobs < 0:
		return usageErrorf("--logprobs must be >= 0, got %d", f.logprobs)
	}
	if f.prompt != "" {
		return generateWithLab(f, knobs, *dataDir, stdout, stderr)
	}
	if len(knobs.set()) > 0 {
		return usageErrorf("the knob flags need --prompt (--prompt-ids decodes greedily)")
	}

	m, err := model.Load(f.modelDir)
	if err != nil {
		return err
	}
	defer m.Close()
	tok, err := loadTokenizer(f.modelDir, f.prompt != "")
	if err != nil {
		return err
	}
	prompt, err := promptTokens(f, tok)
	if err != nil {
		return err
	}

	opts := model.GenerateOptions{MaxTokens: f.maxTokens, TopLogprobs: f.logprobs,
		StopTokens: stopTokens(m.Config(), tok)}
	var stream *tokenizer.StreamDecoder
	if tok != nil && !f.asJSON {
		stream = tok.NewStreamDecoder(true)
	}
	text := &textOut{w: stdout}
	g, err := model.Generate(m, prompt, opts, func(t model.GeneratedToken) error {
		if stream != nil {
			return text.write(stream.Add(t.ID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := buildGenerateOutput(g, prompt, tok)
	if f.asJSON {
		return writeJSON(stdout, out)
	}
	return printGeneration(text, stderr, out, stream)
}

// loadTokenizer loads the model's tokenizer; without tokenizer.json it is only an
// error when the prompt is text.
func loadTokenizer(dir string, needed bool) (*tokenizer.Tokenizer, error) {
	_, err := os.Stat(filepath.Join(dir, "tokenizer.json"))
	if errors.Is(err, os.ErrNotExist) && !needed {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--prompt needs the model's tokenizer: %w", err)
	}
	return tokenizer.LoadDir(dir)
}

// promptTokens tokenizes the prompt as mlx-lm's generate does: the tokenizer's own
// special-token handling (its post-processor adds BOS), or the chat template's text,
// which already holds BOS, encoded without adding it again.
func promptTokens(f generateFlags, tok *tokenizer.Tokenizer) ([]int32, error) {
	if f.promptIDs != "" {
		if f.chat {
			return nil, usageErrorf("--chat needs --prompt")
		}
		return parseIDs(f.promptIDs)
	}
	text, addSpecial := f.prompt, true
	if f.chat {
		msgs := []tokenizer.Message{{Role: "user", Content: text}}
		var err error
		text, err = tok.ApplyChatTemplate(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
		if err != nil {
			return nil, err
		}
		addSpecial = false
	}
	ids := tok.Encode(text, addSpecial)
	if len(ids) == 0 {
		return nil, usageErrorf("the prompt encodes to no tokens")
	}
	return ids, nil
}

// parseIDs reads "1,2,3".
func parseIDs(s string) ([]int32, error) {
	var ids []int32
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 32)
		if err != nil {
			return nil, usageErrorf("--prompt-ids: %q is not a token id", part)
		}
		ids = append(ids, int32(n))
	}
	return ids, nil
}

// stopTokens merges config.json's eos_token_id with the tokenizer's stop tokens.
func stopTokens(cfg *model.Config, tok *tokenizer.Tokenizer) []int32 {
	stops := append([]int32(nil), cfg.EOSTokenID...)
	if tok != nil {
		stops = append(stops, tok.StopTokens()...)
	}
	return stops
}

func buildGenerateOutput(g *model.Generation, prompt []int32,
	tok *tokenizer.Tokenizer) generateOutput {
	text := func(id int32) string {
		if tok == nil {
			return ""
		}
		return tok.TokenText(id)
	}
	out := generateOutput{
		PromptTokens:   g.PromptTokens,
		PromptTokenIDs: prompt,
		StopReason:     g.StopReason,
		Tokens:         make([]generatedToken, len(g.Tokens)),
	}
	ids := make([]int32, len(g.Tokens))
	for i, t := range g.Tokens {
		ids[i] = t.ID
		gt := generatedToken{ID: t.ID, Text: text(t.ID), Logprob: t.Logprob, Top: []tokenLogprob{}}
		for _, a := range t.Top {
			gt.Top = append(gt.Top, tokenLogprob{ID: a.ID, Text: text(a.ID), Logprob: a.Logprob})
		}
		out.Tokens[i] = gt
	}
	if tok != nil {
		out.Text = tok.Decode(ids, true)
	}
	if g.PrefillSeconds > 0 {
		out.PrefillTokensPerSecond = float64(g.PromptTokens) / g.PrefillSeconds
	}
	if g.DecodeSeconds > 0 && g.DecodeSteps > 0 {
		out.DecodeTokensPerSecond = float64(g.DecodeSteps) / g.DecodeSeconds
	}
	return out
}

// printGeneration finishes the streamed text (or prints the ids when the model has no
// tokenizer) and writes the statistics to stderr.
func printGeneration(text *textOut, stderr io.Writer, out generateOutput,
	stream *tokenizer.StreamDecoder) error {
	stdout := text.w
	if stream != nil {
		text.write(stream.Flush())
		text.endLine()
	} else {
		ids := make([]string, len(out.Tokens))
		for i, t := range out.Tokens {
			ids[i] = strconv.Itoa(int(t.ID))
		}
		fmt.Fprintln(stdout, strings.Join(ids, ","))
	}
	printTopLogprobs(stdout, out)
	fmt.Fprintf(stderr, "%d prompt tokens, %.1f tokens/s prefill; %d tokens, %.1f tokens/s "+
		"decode; stop: %s\n", out.PromptTokens, out.PrefillTokensPerSecond, len(out.Tokens),
		out.DecodeTokensPerSecond, out.StopReason)
	return nil
}

// textOut writes generated text for people and ends it with exactly one newline: the
// --logprobs table, the shell prompt or whatever follows starts on a line of its own,
// without a blank line when the model's text already ended its line.
type textOut struct {
	w io.Writer
	// ended is whether the last byte written was a newline.
	ended bool
}

// write passes s on to the writer.
func (o *textOut) write(s string) error {
	if s == "" {
		return nil
	}
	o.ended = s[len(s)-1] == '\n'
	_, err := io.WriteString(o.w, s)
	return err
}

// endLine writes a newline unless the text written so far ends with one (an empty
// text gets one too). Like the rest of the readable output, a failed write is not
// reported: the next write to the same place fails the same way.
func (o *textOut) endLine() {
	if !o.ended {
		o.ended = true
		io.WriteString(o.w, "\n")
	}
}
