package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Status is the state of a run or of one of its columns.
type Status string

// The states of a run. A run is "running" while it is written; a process that dies
// leaves it so, and the next Open marks it "interrupted".
const (
	StatusRunning     Status = "running"
	StatusDone        Status = "done"
	StatusCancelled   Status = "cancelled"
	StatusInterrupted Status = "interrupted"
	StatusError       Status = "error"
)

// Run kinds.
const (
	KindCompare  = "compare"
	KindGenerate = "generate"
)

// Prompt modes.
const (
	ModeRaw  = "raw"
	ModeChat = "chat"
)

// ModelIdentity says which model produced a run, precisely enough to tell whether a
// replay uses the same weights.
type ModelIdentity struct {
	// Ref is the hub repo id ("mlx-community/Llama-3.2-1B-Instruct-4bit") or "demo";
	// empty for a model opened by path.
	Ref string `json:"ref,omitempty"`
	// Revision is the hub commit the files came from.
	Revision string `json:"revision,omitempty"`
	// Path is the local model directory.
	Path string `json:"path,omitempty"`
	// Hash is the hex SHA-256 over the weight and tokenizer files (see lab.HashModel).
	Hash string `json:"hash,omitempty"`
}

// Label is the shortest name that identifies the model to a person.
func (m ModelIdentity) Label() string {
	if m.Ref != "" {
		return m.Ref
	}
	return m.Path
}

// Stats are one column's measurements.
type Stats struct {
	Tokens       int     `json:"tokens"`
	TTFTMs       float64 `json:"ttft_ms"`
	DurationMs   float64 `json:"duration_ms"`
	TokensPerSec float64 `json:"tokens_per_sec"`
}

// Column is one regime of a run and what it produced.
type Column struct {
	Index int `json:"index"`
	// Preset is the name of the preset the regime came from, if any.
	Preset string `json:"preset,omitempty"`
	// Regime holds the settings with the seed actually used.
	Regime     Regime `json:"regime"`
	Status     Status `json:"status"`
	Error      string `json:"error,omitempty"`
	StopReason string `json:"stop_reason,omitempty"`
	Text       string `json:"text"`
	// Tokens are the generated ids, in order.
	Tokens []int32 `json:"token_ids,omitempty"`
	// Details is a JSON array with one object per generated token (text, logprob, top
	// candidates, sampling inspection), as the CLI's --json prints it. ListRuns leaves
	// it and Tokens empty.
	Details json.RawMessage `json:"tokens,omitempty"`
	Stats   Stats           `json:"stats"`
}

// Run is one recorded comparison or generation.
type Run struct {
	ID         int64         `json:"id"`
	Kind       string        `json:"kind"`
	Status     Status        `json:"status"`
	Error      string        `json:"error,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
	FinishedAt time.Time     `json:"finished_at,omitzero"`
	AppVersion string        `json:"app_version"`
	Model      ModelIdentity `json:"model"`
	Mode       string        `json:"mode"`
	Prompt     string        `json:"prompt"`
	System     string        `json:"system,omitempty"`
	// Rendered is the exact text given to the tokenizer (after the chat template).
	Rendered     string   `json:"rendered"`
	PromptTokens []int32  `json:"prompt_token_ids,omitempty"`
	InspectK     int      `json:"inspect_k"`
	Columns      []Column `json:"columns"`
}

// CreateRun records the start of r with status running, together with its columns,
// and sets r.ID, r.CreatedAt and r.Status.
func (s *Store) CreateRun(r *Run) error {
	if r.Mode != ModeRaw && r.Mode != ModeChat {
		return fmt.Errorf("create run: mode must be %q or %q, got %q", ModeRaw, ModeChat, r.Mode)
	}
	r.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	r.Status = StatusRunning

	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.Exec(`INSERT INTO runs (kind, status, created_at, owner_pid, app_version,
		model_ref, model_revision, model_path, model_hash, mode, prompt, system, rendered,
		prompt_tokens, inspect_k) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.Kind, r.Status, r.CreatedAt.UnixMilli(), os.Getpid(), r.AppVersion,
		r.Model.Ref, r.Model.Revision, r.Model.Path, r.Model.Hash, r.Mode, r.Prompt,
		r.System, r.Rendered, encodeTokens(r.PromptTokens), r.InspectK)
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	for i := range r.Columns {
		c := &r.Columns[i]
		c.Index, c.Status = i, StatusRunning
		regime, err := json.Marshal(c.Regime)
		if err != nil {
			return fmt.Errorf("create run: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO run_columns (run_id, idx, name, preset, regime,
			status) VALUES (?,?,?,?,?,?)`,
			r.ID, i, c.Regime.Name, c.Preset, string(regime), c.Status); err != nil {
			return fmt.Errorf("create run: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	return nil
}

// SaveColumn writes a column's output and status (at its end, or as progress while it
// runs, so that a killed process leaves what it had produced).
func (s *Store) SaveColumn(runID int64, c *Column) error {
	details, err := packJSON(c.Details)
	if err != nil {
		return fmt.Errorf("save column: %w", err)
	}
	res, err := s.db.Exec(`UPDATE run_columns SET status=?, error=?, stop_reason=?, text=?,
		tokens=?, details=?, n_tokens=?, ttft_ms=?, duration_ms=?, tokens_per_sec=?
		WHERE run_id=? AND idx=?`,
		c.Status, c.Error, c.StopReason, c.Text, encodeTokens(c.Tokens), details,
		c.Stats.Tokens, finite(c.Stats.TTFTMs), finite(c.Stats.DurationMs),
		finite(c.Stats.TokensPerSec), runID, c.Index)
	if err != nil {
		return fmt.Errorf("save column: %w", err)
	}
	return mustAffect(res, runID)
}

// FinishRun sets the run's final status and error and ends any column still running
// with the same status.
func (s *Store) FinishRun(runID int64, status Status, errMsg string) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.Exec(`UPDATE runs SET status=?, error=?, finished_at=? WHERE id=?`,
		status, errMsg, s.now().UnixMilli(), runID)
	if err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	if err := mustAffect(res, runID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE run_columns SET status=? WHERE run_id=? AND status=?`,
		status, runID, StatusRunning); err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	return nil
}

func mustAffect(res sql.Result, runID int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return newError(CodeRunNotFound, "run %d not found", runID)
	}
	return nil
}

// markAbandoned marks runs left "running" by a process that no longer exists as
// interrupted, and returns how many it marked.
func (s *Store) markAbandoned() (int, error) {
	rows, err := s.db.Query(`SELECT id, owner_pid FROM runs WHERE status=?`, StatusRunning)
	if err != nil {
		return 0, fmt.Errorf("find abandoned runs: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var pid int
		if err := rows.Scan(&id, &pid); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find abandoned runs: %w", err)
		}
		if pid != os.Getpid() && !processAlive(pid) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find abandoned runs: %w", err)
	}
	for _, id := range ids {
		msg := "the process running it stopped before it finished"
		if err := s.FinishRun(id, StatusInterrupted, msg); err != nil {
			return 0, fmt.Errorf("mark run %d interrupted: %w", id, err)
		}
	}
	return len(ids), nil
}

// Query selects runs for ListRuns. Zero fields do not filter.
type Query struct {
	// Text matches runs whose prompt or system prompt contains it (ASCII case-insensitive).
	Text string
	// Model matches runs whose model ref or path contains it.
	Model string
	// Preset matches runs with a column made from the preset of this name.
	Preset string
	// Since and Until bound the creation time: Since <= created < Until.
	Since, Until time.Time
	Status       Status
	// Limit caps the result (default 50); Offset skips the newest runs first.
	Limit, Offset int
}

// DefaultListLimit is how many runs ListRuns returns when Query.Limit is 0.
const DefaultListLimit = 50

const runColumns = `id, kind, status, error, created_at, finished_at, app_version,
	model_ref, model_revision, model_path, model_hash, mode, prompt, system, rendered,
	prompt_tokens, inspect_k`

// ListRuns returns the runs matching q, newest first. Their columns carry settings,
// text and stats but not the per-token data (use GetRun).
func (s *Store) ListRuns(q Query) ([]Run, error) {
	var where []string
	var args []any
	if q.Text != "" {
		where = append(where, `(prompt LIKE ? ESCAPE '\' OR system LIKE ? ESCAPE '\')`)
		args = append(args, likePattern(q.Text), likePattern(q.Text))
	}
	if q.Model != "" {
		where = append(where, `(model_ref LIKE ? ESCAPE '\' OR model_path LIKE ? ESCAPE '\')`)
		args = append(args, likePattern(q.Model), likePattern(q.Model))
	}
	if q.Preset != "" {
		where = append(where, `EXISTS (SELECT 1 FROM run_columns c
			WHERE c.run_id = runs.id AND c.preset = ? COLLATE NOCASE)`)
		args = append(args, q.Preset)
	}
	if !q.Since.IsZero() {
		where = append(where, `created_at >= ?`)
		args = append(args, q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		where = append(where, `created_at < ?`)
		args = append(args, q.Until.UnixMilli())
	}
	if q.Status != "" {
		where = append(where, `status = ?`)
		args = append(args, q.Status)
	}
	query := `SELECT ` + runColumns + ` FROM runs`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	args = append(args, limit, max(q.Offset, 0))

	runs, err := s.queryRuns(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	for i := range runs {
		if runs[i].Columns, err = s.columns(runs[i].ID, false); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
	}
	return runs, nil
}

// likePattern turns a search text into a LIKE pattern that matches it literally.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}

// GetRun returns the run with every column's tokens and per-token details.
func (s *Store) GetRun(id int64) (*Run, error) {
	runs, err := s.queryRuns(`SELECT `+runColumns+` FROM runs WHERE id=?`, id)
	if err != nil {
		return nil, fmt.Errorf("get run %d: %w", id, err)
	}
	if len(runs) == 0 {
		return nil, newError(CodeRunNotFound, "run %d not found", id)
	}
	r := &runs[0]
	if r.Columns, err = s.columns(id, true); err != nil {
		return nil, fmt.Errorf("get run %d: %w", id, err)
	}
	return r, nil
}

func (s *Store) queryRuns(query string, args ...any) ([]Run, error) {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var created, finished int64
		var promptTokens []byte
		if err := rows.Scan(&r.ID, &r.Kind, &r.Status, &r.Error, &created, &finished,
			&r.AppVersion, &r.Model.Ref, &r.Model.Revision, &r.Model.Path, &r.Model.Hash,
			&r.Mode, &r.Prompt, &r.System, &r.Rendered, &promptTokens, &r.InspectK); err != nil {
			return nil, err
		}
		r.CreatedAt = time.UnixMilli(created).UTC()
		if finished != 0 {
			r.FinishedAt = time.UnixMilli(finished).UTC()
		}
		if r.PromptTokens, err = decodeTokens(promptTokens); err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// columns loads a run's columns; full adds tokens and per-token details.
func (s *Store) columns(runID int64, full bool) ([]Column, error) {
	rows, err := s.db.Query(`SELECT idx, preset, regime, status, error, stop_reason, text,
		n_tokens, ttft_ms, duration_ms, tokens_per_sec, tokens, details
		FROM run_columns WHERE run_id=? ORDER BY idx`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := []Column{}
	for rows.Next() {
		var c Column
		var regime string
		var tokens, details []byte
		if err := rows.Scan(&c.Index, &c.Preset, &regime, &c.Status, &c.Error,
			&c.StopReason, &c.Text, &c.Stats.Tokens, &c.Stats.TTFTMs, &c.Stats.DurationMs,
			&c.Stats.TokensPerSec, &tokens, &details); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(regime), &c.Regime); err != nil {
			return nil, fmt.Errorf("column %d regime: %w", c.Index, err)
		}
		if full {
			if c.Tokens, err = decodeTokens(tokens); err != nil {
				return nil, err
			}
			if c.Details, err = unpackJSON(details); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// DeleteRun removes a run and its columns.
func (s *Store) DeleteRun(id int64) error {
	res, err := s.db.Exec(`DELETE FROM runs WHERE id=?`, id)
	if err != nil {
		return fmt.Errorf("delete run %d: %w", id, err)
	}
	return mustAffect(res, id)
}

// ClearRuns removes every run that is not running and returns how many it removed.
func (s *Store) ClearRuns() (int64, error) {
	res, err := s.db.Exec(`DELETE FROM runs WHERE status <> ?`, StatusRunning)
	if err != nil {
		return 0, fmt.Errorf("clear history: %w", err)
	}
	return res.RowsAffected()
}
