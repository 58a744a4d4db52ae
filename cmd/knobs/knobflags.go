package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"

	"github.com/knobs-app/knobs/backend/demomodel"
	"github.com/knobs-app/knobs/backend/hub"
	"github.com/knobs-app/knobs/backend/lab"
	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/store"
)

// knobFlags are the sampling flags shared by generate and presets save. A flag left
// unset keeps the chosen sampler's default (sampling.Defaults), so "--sampler
// llama.cpp" alone behaves as llama.cpp does with no options.
type knobFlags struct {
	fs *flag.FlagSet

	temp, topP, minP                float64
	topK, repContext                int
	repPenalty, presence, frequency float64
	seed                            uint64
	sampler                         string
}

// addKnobFlags registers the knob flags on fs.
func addKnobFlags(fs *flag.FlagSet) *knobFlags {
	k := &knobFlags{fs: fs}
	fs.Float64Var(&k.temp, "temp", 0, "temperature; 0 is greedy (argmax)")
	fs.Float64Var(&k.topP, "top-p", 1,
		"keep the smallest set of tokens reaching this mass, in (0, 1]; 1 is off")
	fs.IntVar(&k.topK, "top-k", 0, "keep the K most likely tokens; 0 is off")
	fs.Float64Var(&k.minP, "min-p", 0,
		"drop tokens below this fraction of the top probability, in [0, 1); 0 is off")
	fs.Float64Var(&k.repPenalty, "repetition-penalty", 1,
		"penalize recent tokens' logits, > 0; 1 is off")
	fs.IntVar(&k.repContext, "repetition-context", 0,
		"recent tokens the penalties look at; 0 is the sampler's default")
	fs.Float64Var(&k.presence, "presence-penalty", 0,
		"subtract from the logit of every recent token; 0 is off")
	fs.Float64Var(&k.frequency, "frequency-penalty", 0,
		"subtract per occurrence of a recent token; 0 is off")
	fs.Uint64Var(&k.seed, "seed", 0, "seed of the random stream; unset draws one and reports it")
	fs.StringVar(&k.sampler, "sampler", sampling.SamplerMLXLM,
		"sampler chain: mlx-lm, transformers or llama.cpp")
	return k
}

// flagKeys maps each knob flag to its regime key.
var flagKeys = map[string]string{
	"temp": "temp", "top-p": "top_p", "top-k": "top_k", "min-p": "min_p",
	"repetition-penalty": "repetition_penalty", "repetition-context": "repetition_context",
	"presence-penalty": "presence_penalty", "frequency-penalty": "frequency_penalty",
	"seed": "seed", "sampler": "sampler",
}

// set reports which knob flags were given, as regime keys.
func (k *knobFlags) set() map[string]string {
	given := map[string]string{}
	k.fs.Visit(func(f *flag.Flag) {
		if key, ok := flagKeys[f.Name]; ok {
			given[key] = f.Value.String()
		}
	})
	return given
}

// params returns the knobs: the sampler's defaults overridden by the flags given.
func (k *knobFlags) params() (sampling.Params, error) {
	r, err := regimeFromPairs(k.set(), "--")
	return r.Params, err
}

// regimeKeys are the keys of --regime, in the order help lists them.
var regimeKeys = []string{"temp", "top_p", "top_k", "min_p", "repetition_penalty",
	"repetition_context", "presence_penalty", "frequency_penalty", "seed", "max_tokens",
	"sampler", "name"}

// parseRegime reads a --regime value: comma-separated key=value pairs with the keys of
// regimeKeys.
func parseRegime(s string) (store.Regime, error) {
	pairs := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return store.Regime{}, usageErrorf("--regime %q: %q is not key=value", s, part)
		}
		key = strings.TrimSpace(key)
		if _, dup := pairs[key]; dup {
			return store.Regime{}, usageErrorf("--regime %q: %s is given twice", s, key)
		}
		pairs[key] = strings.TrimSpace(value)
	}
	return regimeFromPairs(pairs, "")
}

// regimeFromPairs builds a regime from key=value pairs over the sampler's defaults and
// validates it. prefix is how the keys are shown in errors ("--" for flags).
func regimeFromPairs(pairs map[string]string, prefix string) (store.Regime, error) {
	name := func(key string) string {
		if prefix == "" {
			return key
		}
		return prefix + strings.ReplaceAll(key, "_", "-")
	}
	sampler := sampling.SamplerMLXLM
	if v, ok := pairs["sampler"]; ok {
		sampler = v
	}
	r := store.Regime{Params: sampling.Defaults(sampler)}
	r.Sampler = sampler

	keys := make([]string, 0, len(pairs))
	for key := range pairs {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if err := setRegimeKey(&r, key, pairs[key]); err != nil {
			return store.Regime{}, usageErrorf("%s: %v", name(key), err)
		}
	}
	// The knobs are checked as given: an explicit top_p=0 is an error here, not the
	// "off" a preset file's missing key means.
	if err := r.Params.Validate(); err != nil {
		return store.Regime{}, err
	}
	if err := r.Validate(); err != nil {
		return store.Regime{}, err
	}
	return r, nil
}

// setRegimeKey sets one knob from its text.
func setRegimeKey(r *store.Regime, key, value string) error {
	float := func(dst *float64) error {
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", value)
		}
		*dst = v
		return nil
	}
	integer := func(dst *int) error {
		v, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%q is not an integer", value)
		}
		*dst = v
		return nil
	}
	p := &r.Params
	switch key {
	case "temp":
		return float(&p.Temperature)
	case "top_p":
		return float(&p.TopP)
	case "top_k":
		return integer(&p.TopK)
	case "min_p":
		return float(&p.MinP)
	case "repetition_penalty":
		return float(&p.RepetitionPenalty)
	case "repetition_context":
		return integer(&p.RepetitionContext)
	case "presence_penalty":
		return float(&p.PresencePenalty)
	case "frequency_penalty":
		return float(&p.FrequencyPenalty)
	case "max_tokens":
		return integer(&r.MaxTokens)
	case "sampler":
		p.Sampler = value
		return nil
	case "name":
		r.Name = value
		return nil
	case "seed":
		v, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a seed (an integer from 0 to %d)",
				value, uint64(sampling.MaxSeed))
		}
		p.Seed = &v
		return nil
	}
	return fmt.Errorf("unknown key; the keys are %s", strings.Join(regimeKeys, ", "))
}

// addDataDirFlag registers --data-dir.
func addDataDirFlag(fs *flag.FlagSet) *string {
	return fs.String("data-dir", "", "keep history, presets and settings in this directory "+
		"(default: $XDG_DATA_HOME/knobs and $XDG_CONFIG_HOME/knobs)")
}

// openStore opens the history database of --data-dir (or the XDG default) and prints
// the store's notice about a database it had to set aside.
func openStore(dataDir string, stderr io.Writer) (*store.Store, error) {
	paths := store.DefaultPaths()
	if dataDir != "" {
		paths = store.InDir(dataDir)
	}
	st, err := store.Open(paths.DBPath())
	if err != nil {
		return nil, err
	}
	if st.Notice != "" {
		fmt.Fprintln(stderr, "knobs:", st.Notice)
	}
	return st, nil
}

// withStore opens the store of --data-dir (see openStore), calls fn with it and closes
// it when fn returns.
func withStore(dataDir string, stderr io.Writer, fn func(*store.Store) error) error {
	st, err := openStore(dataDir, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// openLab opens the store and loads ref into a new lab: a hub reference is resolved
// and pulled with a progress bar; "demo" or "" go to the lab's own resolution.
func openLab(ctx context.Context, ref, dataDir string,
	stderr io.Writer) (*lab.Lab, *store.Store, error) {
	st, err := openStore(dataDir, stderr)
	if err != nil {
		return nil, nil, err
	}
	l := lab.New(labOptions(st))
	if ref == "" || ref == lab.DemoRef {
		err = l.Load(ctx, ref)
	} else {
		local, ensureErr := ensureModel(ctx, ref, stderr)
		if err = ensureErr; err == nil {
			err = l.LoadLocal(ctx, local)
		}
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return l, st, nil
}

// defaultModelHelp says which model the lab opens when --model is not given.
const defaultModelHelp = "default: " + hub.DefaultModel +
	" when it is downloaded, else the built-in demo model"

// labOptions are the lab's options for every command: the CLI's version in the run
// records and the built-in demo model when no other model is available.
func labOptions(st *store.Store) lab.Options {
	return lab.Options{Store: st, AppVersion: version, Demo: demomodel.DirContext}
}

// interruptible returns a context cancelled by Ctrl-C, so a long comparison ends as
// "cancelled" in the history instead of "interrupted".
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// columnOutput is one column in the shape of `knobs generate --json`.
func columnOutput(c lab.ColumnResult, promptIDs []int32, runID int64) generateOutput {
	out := generateOutput{
		Text: c.Text, PromptTokens: c.PromptTokens, PromptTokenIDs: promptIDs,
		StopReason: c.StopReason, PrefillTokensPerSecond: c.PromptTPS,
		DecodeTokensPerSecond: c.Stats.TokensPerSec, Seed: c.Seed, RunID: runID,
		Tokens: make([]generatedToken, len(c.Tokens)),
	}
	for i, t := range c.Tokens {
		gt := generatedToken{ID: t.ID, Text: t.Text, Logprob: t.Logprob,
			Top: []tokenLogprob{}, Sampling: t.Sampling}
		for _, a := range t.Top {
			gt.Top = append(gt.Top, tokenLogprob{ID: a.ID, Text: a.Text, Logprob: a.Logprob})
		}
		out.Tokens[i] = gt
	}
	return out
}

// generateWithLab runs `knobs generate --prompt` as a one-column run of the lab, so it
// is recorded in the history and draws exactly what a comparison column with the same
// knobs and seed draws.
func generateWithLab(f generateFlags, knobs *knobFlags, dataDir string,
	stdout, stderr io.Writer) error {
	params, err := knobs.params()
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	l, st, err := openLab(ctx, f.modelDir, dataDir, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	defer l.Close()

	req := lab.Request{Kind: store.KindGenerate, Prompt: f.prompt, Chat: f.chat,
		InspectK: f.logprobs, Columns: []lab.ColumnSpec{{Regime: store.Regime{
			Params: params, MaxTokens: f.maxTokens}}}}
	text := &textOut{w: stdout}
	var onEvent func(lab.Event)
	if !f.asJSON {
		onEvent = func(ev lab.Event) {
			if ev.Kind == lab.EventToken {
				text.write(ev.Delta)
			}
		}
	}
	res, err := l.Compare(ctx, req, onEvent)
	if err != nil {
		return err
	}
	out := columnOutput(res.Columns[0], res.PromptTokens, res.RunID)
	if f.asJSON {
		return writeJSON(stdout, out)
	}
	text.endLine()
	printTopLogprobs(stdout, out)
	fmt.Fprintf(stderr, "%d prompt tokens, %.1f tokens/s prefill; %d tokens, %.1f tokens/s "+
		"decode; stop: %s; seed %d; run %d\n", out.PromptTokens, out.PrefillTokensPerSecond,
		len(out.Tokens), out.DecodeTokensPerSecond, out.StopReason, out.Seed, res.RunID)
	return nil
}

// printTopLogprobs prints the --logprobs table, one line per token.
func printTopLogprobs(w io.Writer, out generateOutput) {
	for i, t := range out.Tokens {
		if len(t.Top) == 0 {
			return
		}
		fmt.Fprintf(w, "%3d %6d %-16q %8.4f |", i, t.ID, t.Text, t.Logprob)
		for _, a := range t.Top {
			fmt.Fprintf(w, " %d %q %.4f;", a.ID, a.Text, a.Logprob)
		}
		fmt.Fprintln(w)
	}
}

// writeJSON prints v as one JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
