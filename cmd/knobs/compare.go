package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/knobs-app/knobs/backend/lab"
	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/store"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "run one prompt under several sampling regimes side by side",
		usage: "compare --model M --prompt TEXT [--chat] [--system TEXT] [--max-tokens N] " +
			"(--preset NAME | --regime key=value,...)... [--logprobs K] [--json] [--data-dir DIR]",
		run: runCompare,
	})
}

// columnSource is one --preset or --regime flag, kept in command-line order.
type columnSource struct {
	preset, regime string
}

// columnList collects --preset and --regime values in the order given.
type columnList struct {
	items  *[]columnSource
	preset bool
}

func (c columnList) String() string { return "" }

func (c columnList) Set(v string) error {
	if c.preset {
		*c.items = append(*c.items, columnSource{preset: v})
	} else {
		*c.items = append(*c.items, columnSource{regime: v})
	}
	return nil
}

// compareOutput is the --json output: the run and, per column, what `knobs generate
// --json` prints plus the column's name, preset and regime.
type compareOutput struct {
	RunID   int64               `json:"run_id"`
	Status  store.Status        `json:"status"`
	Model   store.ModelIdentity `json:"model"`
	Columns []compareColumn     `json:"columns"`
}

type compareColumn struct {
	Index  int          `json:"index"`
	Name   string       `json:"name,omitempty"`
	Preset string       `json:"preset,omitempty"`
	Regime store.Regime `json:"regime"`
	TTFTMs float64      `json:"ttft_ms"`
	generateOutput
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	var sources []columnSource
	modelRef := fs.String("model", "",
		"model: a directory, a hub repo id (pulled if needed) or \"demo\"; "+defaultModelHelp)
	prompt := fs.String("prompt", "", "prompt text")
	chat := fs.Bool("chat", false, "render the prompt as a user message of the chat template")
	system := fs.String("system", "", "system prompt (with --chat)")
	maxTokens := fs.Int("max-tokens", lab.DefaultMaxTokens,
		"tokens per column unless its regime sets max_tokens")
	logprobs := fs.Int("logprobs", sampling.DefaultInspectK, "candidates inspected per token")
	asJSON := fs.Bool("json", false, "print one JSON object")
	dataDir := addDataDirFlag(fs)
	fs.Var(columnList{&sources, true}, "preset", "add a column with this preset (repeatable)")
	fs.Var(columnList{&sources, false}, "regime", "add a column with these knobs, "+
		"e.g. temp=0.7,top_p=0.95,seed=1; keys: "+strings.Join(regimeKeys, ", ")+" (repeatable)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case len(sources) == 0:
		return usageErrorf("give at least one --preset or --regime")
	case len(sources) > lab.MaxColumns:
		return usageErrorf("at most %d columns, got %d", lab.MaxColumns, len(sources))
	case *maxTokens <= 0 || *maxTokens > store.MaxRegimeTokens:
		return usageErrorf("--max-tokens must be in [1, %d], got %d",
			store.MaxRegimeTokens, *maxTokens)
	}

	// Resolve the columns before loading the model: a typo fails fast.
	var cols []lab.ColumnSpec
	err := withStore(*dataDir, stderr, func(st *store.Store) error {
		var err error
		cols, err = resolveColumns(st, sources)
		return err
	})
	if err != nil {
		return err
	}

	ctx, stop := interruptible()
	defer stop()
	l, st, err := openLab(ctx, *modelRef, *dataDir, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	defer l.Close()
	req := lab.Request{Prompt: *prompt, Chat: *chat, System: *system, Columns: cols,
		MaxTokens: *maxTokens, InspectK: *logprobs}
	res, err := l.Compare(ctx, req, compareProgress(stderr, len(cols)))
	if err != nil {
		return err
	}
	out := compareOutput{RunID: res.RunID, Status: res.Status, Model: res.Model,
		Columns: []compareColumn{}}
	for _, c := range res.Columns {
		out.Columns = append(out.Columns, compareColumn{Index: c.Index, Name: c.Regime.Name,
			Preset: c.Preset, Regime: c.Regime, TTFTMs: c.Stats.TTFTMs,
			generateOutput: columnOutput(c, res.PromptTokens, 0)})
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	printComparison(stdout, out)
	fmt.Fprintf(stderr, "run %d (%s); replay with: knobs history replay %d\n",
		res.RunID, res.Status, res.RunID)
	return nil
}

// resolveColumns turns the flags into column specs, looking presets up in the store.
func resolveColumns(st *store.Store, sources []columnSource) ([]lab.ColumnSpec, error) {
	var cols []lab.ColumnSpec
	for _, src := range sources {
		if src.preset != "" {
			p, err := st.PresetByName(src.preset)
			if err != nil {
				return nil, err
			}
			r := p.Regime
			r.Name = p.Name
			cols = append(cols, lab.ColumnSpec{Preset: p.Name, Regime: r})
			continue
		}
		r, err := parseRegime(src.regime)
		if err != nil {
			return nil, err
		}
		cols = append(cols, lab.ColumnSpec{Regime: r})
	}
	return cols, nil
}

// printComparison prints each column's header and text.
func printComparison(w io.Writer, out compareOutput) {
	for i, c := range out.Columns {
		if i > 0 {
			fmt.Fprintln(w)
		}
		name := c.Name
		if name == "" {
			name = "regime " + fmt.Sprint(c.Index+1)
		}
		fmt.Fprintf(w, "== %d. %s: %s | %d tokens, %.1f tokens/s, stop: %s\n",
			c.Index+1, name, describeRegime(c.Regime), len(c.Tokens), c.DecodeTokensPerSecond,
			c.StopReason)
		fmt.Fprintln(w, c.Text)
	}
}

// describeRegime lists the knobs that differ from "off", in regime-key form.
func describeRegime(r store.Regime) string {
	p := r.Params
	parts := []string{fmt.Sprintf("temp=%g", p.Temperature)}
	if p.TopP != 1 {
		parts = append(parts, fmt.Sprintf("top_p=%g", p.TopP))
	}
	if p.TopK != 0 {
		parts = append(parts, fmt.Sprintf("top_k=%d", p.TopK))
	}
	if p.MinP != 0 {
		parts = append(parts, fmt.Sprintf("min_p=%g", p.MinP))
	}
	if p.RepetitionPenalty != 1 {
		parts = append(parts, fmt.Sprintf("repetition_penalty=%g", p.RepetitionPenalty))
	}
	if p.PresencePenalty != 0 {
		parts = append(parts, fmt.Sprintf("presence_penalty=%g", p.PresencePenalty))
	}
	if p.FrequencyPenalty != 0 {
		parts = append(parts, fmt.Sprintf("frequency_penalty=%g", p.FrequencyPenalty))
	}
	if p.Seed != nil {
		parts = append(parts, fmt.Sprintf("seed=%d", *p.Seed))
	}
	if p.Sampler != "" && p.Sampler != sampling.SamplerMLXLM {
		parts = append(parts, "sampler="+p.Sampler)
	}
	return strings.Join(parts, ",")
}

// compareProgress returns an event handler that keeps one line on a terminal stderr up to
// date with the tokens generated so far, or nil when stderr is not a terminal.
func compareProgress(stderr io.Writer, columns int) func(lab.Event) {
	if !isTerminal(stderr) {
		return nil
	}
	tokens, done := 0, 0
	var last time.Time
	return func(ev lab.Event) {
		switch ev.Kind {
		case lab.EventToken:
			tokens++
		case lab.EventColumnEnd:
			done++
		case lab.EventEnd:
			fmt.Fprint(stderr, "\r\033[K")
			return
		}
		// Redraw at most ten times a second.
		if time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(stderr, "\r\033[Kgenerating: %d tokens, %d of %d columns done",
			tokens, done, columns)
	}
}
