package lab

import (
	"context"
	"fmt"
	"slices"

	"github.com/knobs-app/knobs/backend/store"
)

// Divergence is the first place a replay differs from its record.
type Divergence struct {
	// Column is the column index; -1 when the prompt itself tokenized differently.
	Column int `json:"column"`
	// Step is the 0-based index of the generated token (or of the prompt token).
	Step int `json:"step"`
	// Expected and Got are the recorded and the regenerated token ids; -1 means the
	// sequence had ended.
	Expected     int32  `json:"expected"`
	Got          int32  `json:"got"`
	ExpectedText string `json:"expected_text"`
	GotText      string `json:"got_text"`
	// ExpectedStop and GotStop are set when the tokens agree but the columns ended
	// for different reasons.
	ExpectedStop string `json:"expected_stop,omitempty"`
	GotStop      string `json:"got_stop,omitempty"`
}

// ReplayReport says whether a recorded run regenerated token for token.
type ReplayReport struct {
	RunID int64 `json:"run_id"`
	// Identical is true only when every compared token and stop reason matches and the
	// model's content hash is the recorded one.
	Identical bool `json:"identical"`
	// ModelChanged is true when the model files' content hash differs from the record.
	ModelChanged bool   `json:"model_changed"`
	RecordedHash string `json:"recorded_hash"`
	CurrentHash  string `json:"current_hash"`
	// Divergence is the first difference in the tokens, or nil.
	Divergence *Divergence `json:"divergence,omitempty"`
	// Message is a sentence for the user.
	Message string  `json:"message"`
	Result  *Result `json:"result,omitempty"`
}

// Replay regenerates a recorded run with its recorded model, rendered prompt, regimes
// and seeds, and compares the result token for token. It loads the run's model when
// another one is resident, and reloads it when its files changed since it was loaded.
// Columns that were cancelled or interrupted are compared over the tokens they had
// produced. The replay itself is not recorded.
func (l *Lab) Replay(ctx context.Context, runID int64, onEvent func(Event)) (*ReplayReport, error) {
	st := l.opts.Store
	if st == nil {
		return nil, labError(CodeNotReplayable, "replay needs the history database")
	}
	run, err := st.GetRun(runID)
	if err != nil {
		return nil, err
	}
	if run.Rendered == "" || len(run.Columns) == 0 {
		return nil, labError(CodeNotReplayable, "run %d has no recorded prompt or columns", runID)
	}
	hash, err := l.ensureModel(ctx, run.Model)
	if err != nil {
		return nil, err
	}

	req := Request{Kind: run.Kind, Prompt: run.Prompt, Chat: run.Mode == store.ModeChat,
		System: run.System, InspectK: run.InspectK, NoRecord: true,
		prompt: &Prompt{Mode: run.Mode, Rendered: run.Rendered}}
	for _, c := range run.Columns {
		r := c.Regime
		if c.Status != store.StatusDone {
			// Only the tokens produced before the stop can be checked.
			r.MaxTokens = max(len(c.Tokens), 1)
		}
		req.Columns = append(req.Columns, ColumnSpec{Preset: c.Preset, Regime: r})
	}
	res, err := l.Compare(ctx, req, onEvent)
	if err != nil {
		return nil, err
	}

	rep := &ReplayReport{RunID: runID, RecordedHash: run.Model.Hash, CurrentHash: hash,
		ModelChanged: run.Model.Hash != hash, Result: res}
	rep.Divergence = l.firstDivergence(run, res)
	rep.Identical = !rep.ModelChanged && rep.Divergence == nil && res.Status == store.StatusDone
	rep.Message = rep.describe(res.Status)
	return rep, nil
}

// describe writes the report's sentence.
func (rep *ReplayReport) describe(status store.Status) string {
	var msg string
	switch d := rep.Divergence; {
	case status != store.StatusDone:
		msg = fmt.Sprintf("The replay did not finish (%s).", status)
	case d == nil:
		msg = "Every token matches the recorded run."
	case d.Column < 0:
		msg = fmt.Sprintf("The prompt tokenizes differently at token %d: recorded %d, now %d.",
			d.Step, d.Expected, d.Got)
	case d.ExpectedStop != "":
		msg = fmt.Sprintf("Column %d has the same tokens but stopped by %s instead of %s.",
			d.Column+1, d.GotStop, d.ExpectedStop)
	default:
		msg = fmt.Sprintf("Column %d diverges at token %d: recorded %d %q, now %d %q.",
			d.Column+1, d.Step+1, d.Expected, d.ExpectedText, d.Got, d.GotText)
	}
	if rep.ModelChanged {
		msg += " The model files have changed since the run was recorded (content hash " +
			short(rep.RecordedHash) + " then, " + short(rep.CurrentHash) + " now)."
	}
	return msg
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// firstDivergence compares a replay's result with the record.
func (l *Lab) firstDivergence(run *store.Run, res *Result) *Divergence {
	text := func(id int32) string {
		if id < 0 {
			return "(end)"
		}
		l.mu.Lock()
		m := l.model
		l.mu.Unlock()
		if m == nil {
			return ""
		}
		return m.tok.TokenText(id)
	}
	if d := diverge(-1, run.PromptTokens, res.PromptTokens, text); d != nil {
		return d
	}
	for i, rec := range run.Columns {
		got := tokenIDs(res.Columns[i].Tokens)
		want := rec.Tokens
		if rec.Status != store.StatusDone {
			got = got[:min(len(got), len(want))]
		}
		if d := diverge(i, want, got, text); d != nil {
			return d
		}
		if rec.Status == store.StatusDone && rec.StopReason != res.Columns[i].StopReason {
			return &Divergence{Column: i, Step: len(want), Expected: -1, Got: -1,
				ExpectedStop: rec.StopReason, GotStop: res.Columns[i].StopReason}
		}
	}
	return nil
}

// diverge returns the first index where want and got differ, or nil.
func diverge(column int, want, got []int32, text func(int32) string) *Divergence {
	if slices.Equal(want, got) {
		return nil
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	d := &Divergence{Column: column, Step: i, Expected: -1, Got: -1}
	if i < len(want) {
		d.Expected = want[i]
	}
	if i < len(got) {
		d.Got = got[i]
	}
	d.ExpectedText, d.GotText = text(d.Expected), text(d.Got)
	return d
}

func tokenIDs(ts []Token) []int32 {
	ids := make([]int32, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

// ensureModel makes the run's model resident with its current files and returns their
// content hash.
func (l *Lab) ensureModel(ctx context.Context, want store.ModelIdentity) (string, error) {
	l.mu.Lock()
	m := l.model
	l.mu.Unlock()
	if m == nil || !sameModel(m.id, want) {
		if err := l.Load(ctx, modelRef(want)); err != nil {
			return "", fmt.Errorf("load the run's model: %w", err)
		}
		return l.Status().Identity.Hash, nil
	}
	// The files may have changed since the model was loaded: hash them again and
	// reload on a difference, so the replay runs what is on disk now.
	hash, err := HashModel(m.id.Path)
	if err != nil {
		return "", err
	}
	if hash != m.id.Hash {
		if err := l.Load(ctx, modelRef(m.id)); err != nil {
			return "", fmt.Errorf("reload the changed model: %w", err)
		}
		return l.Status().Identity.Hash, nil
	}
	return hash, nil
}

// sameModel reports whether two identities name the same model files (the content
// may still differ; the hash tells).
func sameModel(a, b store.ModelIdentity) bool {
	if a.Ref != "" || b.Ref != "" {
		return a.Ref == b.Ref && (a.Revision == b.Revision || b.Revision == "")
	}
	return a.Path == b.Path
}

// modelRef is the reference Load needs to open the model of an identity.
func modelRef(id store.ModelIdentity) string {
	switch {
	case id.Ref == DemoRef:
		return DemoRef
	case id.Ref != "" && id.Revision != "":
		return id.Ref + "@" + id.Revision
	case id.Ref != "":
		return id.Ref
	}
	return id.Path
}
