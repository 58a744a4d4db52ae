package lab

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/store"
	"github.com/knobs-app/knobs/backend/tokenizer"
)

// MaxColumns is the most regimes one comparison runs, the engine's largest batch.
const MaxColumns = model.MaxBatch

// DefaultMaxTokens is a column's length when neither the regime nor the request says.
const DefaultMaxTokens = 128

// Stop reasons of a column.
const (
	StopToken       = model.StopToken   // the model produced a stop token (EOS, end of turn)
	StopString      = "stop_string"     // the text reached one of the regime's stop strings
	StopMaxTokens   = model.StopLength  // the column generated its max_tokens
	StopContextFull = model.StopContext // the context length was reached
	StopCancelled   = "cancelled"
	StopError       = "error"
)

// ColumnSpec is one column of a request: a regime and the preset it came from.
type ColumnSpec struct {
	Preset string       `json:"preset,omitempty"`
	Regime store.Regime `json:"regime"`
}

// Request is a comparison: one prompt under several regimes.
type Request struct {
	// Kind is store.KindCompare (the default) or store.KindGenerate.
	Kind    string       `json:"kind,omitempty"`
	Prompt  string       `json:"prompt"`
	Chat    bool         `json:"chat"`
	System  string       `json:"system,omitempty"`
	Columns []ColumnSpec `json:"columns"`
	// MaxTokens applies to regimes whose max_tokens is 0; 0 means DefaultMaxTokens.
	MaxTokens int `json:"max_tokens,omitempty"`
	// InspectK is how many candidates each token reports (0: none).
	InspectK int `json:"inspect_k"`
	// NoRecord runs without writing the run to the store.
	NoRecord bool `json:"no_record,omitempty"`

	// prompt, when set, replaces rendering Prompt (a replay uses the recorded text).
	prompt *Prompt
}

// Candidate is one of the model's top tokens at a step, by raw logprob.
type Candidate struct {
	ID      int32   `json:"id"`
	Text    string  `json:"text"`
	Logprob float64 `json:"logprob"`
}

// Token is one generated token, as `knobs generate --json` prints it.
type Token struct {
	ID   int32  `json:"id"`
	Text string `json:"text"`
	// Logprob is the token's log-probability under the model's raw logits.
	Logprob float64 `json:"logprob"`
	// Top are the K most likely tokens under the raw logits (K = the request's InspectK).
	Top []Candidate `json:"top"`
	// Sampling is what each knob did at this step (its candidates only when inspected).
	Sampling *sampling.Step `json:"sampling,omitempty"`
}

// ColumnResult is what one column produced.
type ColumnResult struct {
	Index  int    `json:"index"`
	Preset string `json:"preset,omitempty"`
	// Regime holds the settings actually used, seed included.
	Regime     store.Regime `json:"regime"`
	Seed       uint64       `json:"seed"`
	Text       string       `json:"text"`
	Tokens     []Token      `json:"tokens"`
	StopReason string       `json:"stop_reason"`
	Error      string       `json:"error,omitempty"`
	// PromptTokens is the prompt's length in tokens.
	PromptTokens int `json:"prompt_tokens"`
	// PromptTPS is the prefill speed (shared by every column of a comparison).
	PromptTPS float64     `json:"prompt_tps"`
	Stats     store.Stats `json:"stats"`
}

// Result is a finished comparison.
type Result struct {
	RunID        int64               `json:"run_id"`
	Status       store.Status        `json:"status"`
	Model        store.ModelIdentity `json:"model"`
	Mode         string              `json:"mode"`
	Rendered     string              `json:"rendered"`
	PromptTokens []int32             `json:"prompt_token_ids"`
	Columns      []ColumnResult      `json:"columns"`
}

// EventKind names a comparison event.
type EventKind string

// The events of a comparison, in order: one start, then tokens as they are drawn, one
// column_end per column, one end.
const (
	EventStart     EventKind = "start"
	EventToken     EventKind = "token"
	EventColumnEnd EventKind = "column_end"
	EventEnd       EventKind = "end"
)

// Event reports progress of a comparison to the UI or the CLI.
type Event struct {
	Kind   EventKind `json:"kind"`
	RunID  int64     `json:"run_id"`
	Column int       `json:"column"`
	Token  *Token    `json:"token,omitempty"`
	// Delta is the text the token added to its column (may be empty while a multi-byte
	// character is incomplete).
	Delta  string        `json:"delta,omitempty"`
	Result *ColumnResult `json:"result,omitempty"`
	// Status is the run's status at EventEnd.
	Status store.Status `json:"status,omitempty"`
}

// comparison is the running comparison's control block.
type comparison struct {
	cancel    context.CancelFunc
	done      chan struct{}
	runID     atomic.Int64
	cancelled []atomic.Bool // [columns] per-column cancel requests
}

// Cancel stops the running comparison, if any. It returns without waiting.
func (l *Lab) Cancel() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active != nil {
		l.active.cancel()
	}
}

// CancelColumn stops one column of the running comparison; the others go on. It
// reports whether a comparison was running with such a column.
func (l *Lab) CancelColumn(column int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active == nil || column < 0 || column >= len(l.active.cancelled) {
		return false
	}
	l.active.cancelled[column].Store(true)
	return true
}

// Compare runs a comparison on the resident model and records it. onEvent, if not nil,
// is called from Compare's goroutine for every event and must return quickly. The
// returned error is non-nil only when the comparison could not start (no model, busy,
// invalid request) or the engine failed; cancellation is a result with status
// cancelled.
func (l *Lab) Compare(ctx context.Context, req Request, onEvent func(Event)) (*Result, error) {
	cols, err := normalizeColumns(req)
	if err != nil {
		return nil, err
	}

	// Take the model and become the active comparison.
	l.mu.Lock()
	if l.model == nil || l.status.State != StateReady {
		state := l.status.State
		l.mu.Unlock()
		return nil, labError(CodeNoModel, "no model is ready (state %s); load one first", state)
	}
	if l.active != nil {
		l.mu.Unlock()
		return nil, labError(CodeBusy, "a comparison is already running; cancel it or "+
			"wait for it to finish")
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &comparison{cancel: cancel, done: make(chan struct{}),
		cancelled: make([]atomic.Bool, len(cols))}
	l.active = c
	res := l.model
	l.mu.Unlock()
	defer func() {
		cancel()
		l.mu.Lock()
		l.active = nil
		l.mu.Unlock()
		close(c.done)
	}()

	var p Prompt
	if req.prompt != nil {
		p = renderedPrompt(res.tok, req.prompt.Mode, req.prompt.Rendered)
	} else if p, err = PreparePrompt(res.tok, req.Prompt, req.Chat, req.System); err != nil {
		return nil, err
	}
	if err := checkPromptLength(len(p.Tokens), res.engine.ContextLength()); err != nil {
		return nil, err
	}

	run := &runner{
		lab: l, res: res, ctx: ctx, c: c, onEvent: onEvent, prompt: p,
		inspectK: max(req.InspectK, 0), start: time.Now(),
	}
	if err := run.setup(cols); err != nil {
		return nil, err
	}
	if err := run.record(req); err != nil {
		return nil, err
	}
	run.emit(Event{Kind: EventStart, RunID: run.runID})
	runErr := run.decode()
	return run.finish(runErr)
}

// normalizeColumns fills each regime's defaults and checks the request's shape.
func normalizeColumns(req Request) ([]ColumnSpec, error) {
	if len(req.Columns) == 0 || len(req.Columns) > MaxColumns {
		return nil, labError(CodeBadRequest, "a comparison needs 1 to %d regimes, got %d",
			MaxColumns, len(req.Columns))
	}
	if req.InspectK < 0 || req.InspectK > store.MaxInspectK {
		return nil, labError(CodeBadRequest, "inspect_k must be in [0, %d], got %d",
			store.MaxInspectK, req.InspectK)
	}
	if req.Kind != "" && req.Kind != store.KindCompare && req.Kind != store.KindGenerate {
		return nil, labError(CodeBadRequest, "unknown run kind %q", req.Kind)
	}
	cols := make([]ColumnSpec, len(req.Columns))
	for i, spec := range req.Columns {
		spec.Regime.Params = spec.Regime.Params.WithDefaults()
		if spec.Regime.MaxTokens == 0 {
			spec.Regime.MaxTokens = req.MaxTokens
		}
		if spec.Regime.MaxTokens == 0 {
			spec.Regime.MaxTokens = DefaultMaxTokens
		}
		if err := spec.Regime.Validate(); err != nil {
			return nil, &Error{Code: CodeInvalidKnob, Err: err,
				Message: "column " + columnLabel(i, spec) + " is invalid"}
		}
		cols[i] = spec
	}
	return cols, nil
}

func columnLabel(i int, spec ColumnSpec) string {
	name := spec.Regime.Name
	if name == "" {
		name = spec.Preset
	}
	if name == "" {
		return itoa(i + 1)
	}
	return itoa(i+1) + " (" + name + ")"
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkPromptLength refuses a prompt that leaves no room to generate.
func checkPromptLength(n, ctxLen int) error {
	if n >= ctxLen {
		return labError(CodePromptTooLong, "the prompt is %d tokens but the model's "+
			"context holds %d, with room needed for at least one generated token; "+
			"shorten the prompt", n, ctxLen)
	}
	return nil
}

// column is one column's decoding state.
type column struct {
	idx      int // position in the comparison
	spec     ColumnSpec
	seed     uint64
	sampler  *sampling.Sampler
	rng      *sampling.Stream
	cache    *model.Cache
	decoder  *tokenizer.StreamDecoder
	history  []int32 // prompt ids followed by generated ids
	text     strings.Builder
	tokens   []Token
	maxStop  int // length of the longest stop string
	stop     string
	errMsg   string
	first    time.Time // when the first token was drawn
	end      time.Time
	finished bool
}

// runner decodes one comparison.
type runner struct {
	lab      *Lab
	res      *resident
	ctx      context.Context
	c        *comparison
	onEvent  func(Event)
	prompt   Prompt
	inspectK int
	runID    int64
	cols     []*column

	start, prefilled time.Time
	stops            map[int32]bool
	logprobs         []float64 // [vocab] scratch of token()
	lastSave         time.Time // last progress write
}

func (r *runner) emit(ev Event) {
	if r.onEvent != nil {
		ev.RunID = r.runID
		r.onEvent(ev)
	}
}

// setup builds each column's sampler and random stream and draws missing seeds.
func (r *runner) setup(specs []ColumnSpec) error {
	r.stops = map[int32]bool{}
	for _, id := range r.res.tok.StopTokens() {
		r.stops[id] = true
	}
	for i, spec := range specs {
		col := &column{idx: i, spec: spec}
		if spec.Regime.Seed != nil {
			col.seed = *spec.Regime.Seed
		} else {
			col.seed = sampling.NewSeed()
		}
		seed := col.seed
		col.spec.Regime.Seed = &seed
		s, err := sampling.New(col.spec.Regime.Params)
		if err != nil {
			return &Error{Code: CodeInvalidKnob, Err: err, Message: "invalid regime"}
		}
		col.sampler = s
		// Stream id 0 for every column: each column carries its own seed, and a column
		// must draw exactly what `knobs generate` draws alone with that seed, whatever
		// its position in the comparison. Two columns with the same seed and knobs
		// therefore produce the same text, which is the point of fixing a seed.
		col.rng = sampling.NewStream(col.seed, 0)
		col.decoder = r.res.tok.NewStreamDecoder(true)
		col.history = append(make([]int32, 0, len(r.prompt.Tokens)+spec.Regime.MaxTokens),
			r.prompt.Tokens...)
		for _, s := range spec.Regime.Stop {
			col.maxStop = max(col.maxStop, len(s))
		}
		r.cols = append(r.cols, col)
	}
	return nil
}

// record writes the run's start to the store.
func (r *runner) record(req Request) error {
	st := r.lab.opts.Store
	if st == nil || req.NoRecord {
		return nil
	}
	kind := req.Kind
	if kind == "" {
		kind = store.KindCompare
	}
	run := &store.Run{
		Kind: kind, AppVersion: r.lab.opts.AppVersion, Model: r.res.id, Mode: r.prompt.Mode,
		Prompt: req.Prompt, System: req.System, Rendered: r.prompt.Rendered,
		PromptTokens: r.prompt.Tokens, InspectK: r.inspectK,
	}
	for _, col := range r.cols {
		run.Columns = append(run.Columns,
			store.Column{Preset: col.spec.Preset, Regime: col.spec.Regime})
	}
	if err := st.CreateRun(run); err != nil {
		return err
	}
	r.runID = run.ID
	r.c.runID.Store(run.ID)
	return nil
}

// decode prefills the prompt once, forks a cache per column and decodes the live
// columns as one batch until every column has stopped.
func (r *runner) decode() error {
	eng := r.res.engine
	vocab := eng.VocabSize()

	// Prefill once; every column starts from the same logits.
	prefix := eng.NewCache()
	first := make([]float32, vocab) // [vocab]
	if err := eng.Prefill(prefix, r.prompt.Tokens, first); err != nil {
		return err
	}
	r.prefilled = time.Now()
	r.lastSave = r.prefilled
	caches := eng.Fork(prefix, len(r.cols))
	logits := make([]float32, len(r.cols)*vocab) // [len(live)][vocab]
	live := make([]*column, 0, len(r.cols))
	for i, col := range r.cols {
		col.cache = caches[i]
		copy(logits[len(live)*vocab:], first)
		live = append(live, col)
	}

	batch := make([]*model.Cache, 0, len(r.cols))
	next := make([]int32, 0, len(r.cols))
	for len(live) > 0 {
		// Sample one token per live column from its row of logits.
		batch, next = batch[:0], next[:0]
		stillLive := live[:0]
		for i, col := range live {
			row := logits[i*vocab : (i+1)*vocab]
			if r.step(col, row) {
				continue
			}
			stillLive = append(stillLive, col)
			batch = append(batch, col.cache)
			next = append(next, col.history[len(col.history)-1])
		}
		live = stillLive
		if len(live) == 0 {
			break
		}

		// Feed the drawn tokens back as one batch.
		if err := eng.DecodeBatch(batch, next, logits[:len(live)*vocab]); err != nil {
			return err
		}
		r.saveProgress(live)
	}
	return nil
}

// progressInterval is how often the tokens of running columns are written to the
// store, so that a process killed mid-run leaves what it had produced (the next open
// marks the run interrupted).
const progressInterval = time.Second

// saveProgress writes the live columns when progressInterval has passed.
func (r *runner) saveProgress(live []*column) {
	if r.runID == 0 || time.Since(r.lastSave) < progressInterval {
		return
	}
	r.lastSave = time.Now()
	for _, col := range live {
		col.end = r.lastSave
		r.save(col, r.columnResult(col))
	}
}

// step draws the next token of col from row ([vocab] logits) and reports whether the
// column has stopped.
func (r *runner) step(col *column, row []float32) bool {
	if r.ctx.Err() != nil || r.c.cancelled[col.idx].Load() {
		return r.stopColumn(col, StopCancelled, "")
	}

	promptLen := len(r.prompt.Tokens)
	st, err := col.sampler.Sample(row, col.history, promptLen, col.rng, r.inspectK)
	if err != nil {
		return r.stopColumn(col, StopError, err.Error())
	}
	if col.first.IsZero() {
		col.first = time.Now()
	}
	if r.stops[st.Token] {
		return r.stopColumn(col, StopToken, "")
	}

	tok := r.token(row, st)
	col.history = append(col.history, st.Token)
	col.tokens = append(col.tokens, tok)
	delta := col.decoder.Add(st.Token)
	before := col.text.Len()
	col.text.WriteString(delta)
	r.emit(Event{Kind: EventToken, Column: col.idx, Token: &tok, Delta: delta})

	if s, ok := col.hitStop(before); ok {
		col.stop = s
		return r.stopColumn(col, StopString, "")
	}
	if len(col.tokens) >= col.spec.Regime.MaxTokens {
		return r.stopColumn(col, StopMaxTokens, "")
	}
	// The token just drawn cannot be fed back: the cache is full.
	if col.cache.Len() >= r.res.engine.ContextLength() {
		return r.stopColumn(col, StopContextFull, "")
	}
	return false
}

// hitStop reports whether the text written since offset before completed one of the
// column's stop strings, and truncates the text before it.
func (col *column) hitStop(before int) (string, bool) {
	if col.maxStop == 0 {
		return "", false
	}
	text := col.text.String()
	from := max(0, before-col.maxStop+1)
	cut, found := -1, ""
	for _, s := range col.spec.Regime.Stop {
		if i := strings.Index(text[from:], s); i >= 0 && (cut < 0 || from+i < cut) {
			cut, found = from+i, s
		}
	}
	if cut < 0 {
		return "", false
	}
	col.text.Reset()
	col.text.WriteString(text[:cut])
	return found, true
}

// token builds the inspection record of one step. The logprob and the top
// candidates come from model.LogSoftmax and model.TopK over the raw logits, as
// `knobs generate` reports them; the sampling step adds what the knobs did.
func (r *runner) token(row []float32, st sampling.Step) Token {
	r.logprobs = model.LogSoftmax(r.logprobs, row)
	tok := Token{ID: st.Token, Text: r.res.tok.TokenText(st.Token), Logprob: r.logprobs[st.Token],
		Top: []Candidate{}, Sampling: &st}
	if r.inspectK > 0 {
		for _, c := range model.TopK(r.logprobs, r.inspectK) {
			tok.Top = append(tok.Top, Candidate{ID: c.ID, Text: r.res.tok.TokenText(c.ID),
				Logprob: c.Logprob})
		}
	}
	return tok
}

// stopColumn ends a column and reports it; it always returns true.
func (r *runner) stopColumn(col *column, reason, errMsg string) bool {
	if reason != StopString {
		col.text.WriteString(col.decoder.Flush())
	}
	col.finished, col.end = true, time.Now()
	col.stop, col.errMsg = reason, errMsg
	res := r.columnResult(col)
	r.save(col, res)
	r.emit(Event{Kind: EventColumnEnd, Column: res.Index, Result: &res})
	return true
}

func (r *runner) columnResult(col *column) ColumnResult {
	i := col.idx
	res := ColumnResult{
		Index: i, Preset: col.spec.Preset, Regime: col.spec.Regime, Seed: col.seed,
		Text: col.text.String(), Tokens: col.tokens, StopReason: col.stop, Error: col.errMsg,
		PromptTokens: len(r.prompt.Tokens),
	}
	if res.Tokens == nil {
		res.Tokens = []Token{}
	}
	if d := r.prefilled.Sub(r.start).Seconds(); d > 0 {
		res.PromptTPS = float64(len(r.prompt.Tokens)) / d
	}
	res.Stats.Tokens = len(col.tokens)
	if !col.first.IsZero() {
		res.Stats.TTFTMs = ms(col.first.Sub(r.start))
	}
	res.Stats.DurationMs = ms(col.end.Sub(r.start))
	if d := col.end.Sub(r.prefilled).Seconds(); d > 0 && !r.prefilled.IsZero() {
		res.Stats.TokensPerSec = float64(len(col.tokens)) / d
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// save writes a finished column to the store.
func (r *runner) save(col *column, res ColumnResult) {
	st := r.lab.opts.Store
	if st == nil || r.runID == 0 {
		return
	}
	details, err := json.Marshal(res.Tokens)
	if err != nil {
		details = nil
	}
	ids := make([]int32, len(col.tokens))
	for i, t := range col.tokens {
		ids[i] = t.ID
	}
	status := store.StatusDone
	switch col.stop {
	case "":
		status = store.StatusRunning
	case StopCancelled:
		status = store.StatusCancelled
	case StopError:
		status = store.StatusError
	}
	c := &store.Column{Index: res.Index, Status: status, Error: res.Error,
		StopReason: res.StopReason, Text: res.Text, Tokens: ids, Details: details,
		Stats: res.Stats}
	// A failed write loses only this column's record, not the comparison; the run
	// stays "running" and is marked interrupted on the next open.
	_ = st.SaveColumn(r.runID, c)
}

// finish ends the columns an engine failure left running, records the run's status and
// builds the result.
func (r *runner) finish(runErr error) (*Result, error) {
	for _, col := range r.cols {
		if !col.finished {
			msg := ""
			if runErr != nil {
				msg = runErr.Error()
			}
			r.stopColumn(col, StopError, msg)
		}
	}
	status := store.StatusDone
	switch {
	case runErr != nil:
		status = store.StatusError
	case r.ctx.Err() != nil:
		status = store.StatusCancelled
	}
	if st := r.lab.opts.Store; st != nil && r.runID != 0 {
		msg := ""
		if runErr != nil {
			msg = runErr.Error()
		}
		if err := st.FinishRun(r.runID, status, msg); err != nil && runErr == nil {
			runErr = err
		}
	}
	out := &Result{RunID: r.runID, Status: status, Model: r.res.id, Mode: r.prompt.Mode,
		Rendered: r.prompt.Rendered, PromptTokens: r.prompt.Tokens}
	for _, col := range r.cols {
		out.Columns = append(out.Columns, r.columnResult(col))
	}
	r.emit(Event{Kind: EventEnd, Status: status})
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return out, runErr
	}
	return out, nil
}
