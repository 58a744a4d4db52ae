// Package store keeps what Knobs remembers between runs: the history of runs (with
// everything needed to replay them) and the presets in a SQLite database under the data
// directory, and the settings in a JSON file under the config directory.
//
// The database is opened in WAL mode with foreign keys on and a busy timeout, so the
// desktop app and the CLI can use it at the same time. Its schema carries a version in
// PRAGMA user_version; Open applies missing migrations, refuses a database written by a
// newer Knobs, and moves a corrupt file aside instead of overwriting it.
package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// busyTimeoutMs is how long a statement waits for another process's write lock before
// giving up; a comparison writes briefly, so a few seconds is ample.
const busyTimeoutMs = 5000

// SQLite result codes that mean the file itself is damaged (sqlite3.h).
const (
	sqliteCorrupt = 11
	sqliteNotADB  = 26
)

// Store is an open Knobs database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string

	// Notice is a sentence for the user when Open had to set a damaged database aside
	// and start a fresh one; it is empty otherwise.
	Notice string
	// Interrupted counts the runs Open found left "running" by a process that is gone
	// and marked interrupted.
	Interrupted int

	now func() time.Time
}

// Open opens (creating if needed) the database at path. A file that SQLite reports as
// corrupt or not a database is renamed to "<path>.corrupt-<timestamp>" and a fresh
// database is created; s.Notice then says so. A database whose schema version is newer
// than this build knows is left untouched and Open returns an Error with code
// CodeNewerSchema.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s, err := openChecked(path)
	if err == nil || !isCorruption(err) {
		return s, err
	}

	cause := err
	aside, moveErr := moveAside(path)
	if moveErr != nil {
		return nil, &Error{Code: CodeCorrupt, Err: moveErr, Message: fmt.Sprintf(
			"the history database %s is damaged and could not be moved aside; "+
				"move it away by hand to start with an empty history", path)}
	}
	s, err = openChecked(path)
	if err != nil {
		return nil, err
	}
	s.Notice = fmt.Sprintf("The history database was damaged (%v). It was kept as %s "+
		"and Knobs started with an empty history and the built-in presets.", cause, aside)
	return s, nil
}

// openChecked opens path, verifies it is a healthy SQLite database, migrates it and
// marks abandoned runs interrupted.
func openChecked(path string) (*Store, error) {
	dsn := path + "?_pragma=busy_timeout(" + fmt.Sprint(busyTimeoutMs) + ")" +
		"&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Store{db: db, path: path, now: time.Now}
	if err := s.check(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.ensureBuiltins(); err != nil {
		db.Close()
		return nil, err
	}
	n, err := s.markAbandoned()
	if err != nil {
		db.Close()
		return nil, err
	}
	s.Interrupted = n
	return s, nil
}

// corruptionError marks a damaged database file; Open moves such a file aside.
type corruptionError struct{ err error }

func (e *corruptionError) Error() string { return e.err.Error() }
func (e *corruptionError) Unwrap() error { return e.err }

func isCorruption(err error) bool {
	var c *corruptionError
	return errors.As(err, &c)
}

// check runs SQLite's quick integrity check. Damage is reported as a corruptionError;
// any other failure (permissions, a lock held too long) is returned as is, so that a
// healthy file is never moved aside.
func (s *Store) check() error {
	rows, err := s.db.Query("PRAGMA quick_check")
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return classify(err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	if len(problems) > 0 {
		return &corruptionError{errors.New("integrity check: " + strings.Join(problems, "; "))}
	}
	return nil
}

func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code; extended codes carry more bits
		case sqliteCorrupt, sqliteNotADB:
			return &corruptionError{err}
		}
	}
	return fmt.Errorf("check database: %w", err)
}

// moveAside renames the database and its WAL and shared-memory files out of the way and
// returns the new name of the main file.
func moveAside(path string) (string, error) {
	aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("move database aside: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			if err := os.Rename(path+suffix, aside+suffix); err != nil {
				return "", fmt.Errorf("move database aside: %w", err)
			}
		}
	}
	return aside, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies the migrations the database has not seen, each in its own
// transaction together with the new user_version.
func (s *Store) migrate() error {
	var have int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&have); err != nil {
		return classify(err)
	}
	if have > len(migrations) {
		return &Error{Code: CodeNewerSchema, Message: fmt.Sprintf(
			"the history database %s was written by a newer version of Knobs "+
				"(schema %d; this version knows up to %d). Update Knobs, or move the file "+
				"away (your history stays in it) to start with an empty history",
			s.path, have, len(migrations))}
	}
	for v := have; v < len(migrations); v++ {
		if err := s.apply(v+1, migrations[v]); err != nil {
			return fmt.Errorf("migrate database to schema %d: %w", v+1, err)
		}
	}
	return nil
}

func (s *Store) apply(version int, script string) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(script); err != nil {
		return err
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return err
	}
	return tx.Commit()
}

// migrations[i] takes the schema from version i to i+1. Never edit a released entry;
// append a new one.
var migrations = []string{
	// 1: runs with their columns, and presets.
	`
CREATE TABLE runs (
	id             INTEGER PRIMARY KEY,
	kind           TEXT    NOT NULL,            -- compare | generate
	status         TEXT    NOT NULL,            -- running | done | cancelled | interrupted | error
	error          TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,            -- unix milliseconds
	finished_at    INTEGER NOT NULL DEFAULT 0,  -- unix milliseconds, 0 while running
	owner_pid      INTEGER NOT NULL DEFAULT 0,  -- process writing the run while running
	app_version    TEXT    NOT NULL DEFAULT '',
	model_ref      TEXT    NOT NULL DEFAULT '',
	model_revision TEXT    NOT NULL DEFAULT '',
	model_path     TEXT    NOT NULL DEFAULT '',
	model_hash     TEXT    NOT NULL DEFAULT '',
	mode           TEXT    NOT NULL,            -- raw | chat
	prompt         TEXT    NOT NULL,
	system         TEXT    NOT NULL DEFAULT '',
	rendered       TEXT    NOT NULL DEFAULT '', -- the prompt after the chat template
	prompt_tokens  BLOB,                        -- int32 little endian
	inspect_k      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_created_at ON runs(created_at);
CREATE INDEX runs_status ON runs(status);

CREATE TABLE run_columns (
	run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	idx            INTEGER NOT NULL,
	name           TEXT    NOT NULL DEFAULT '',
	preset         TEXT    NOT NULL DEFAULT '',
	regime         TEXT    NOT NULL,            -- JSON Regime, with the seed actually used
	status         TEXT    NOT NULL,
	error          TEXT    NOT NULL DEFAULT '',
	stop_reason    TEXT    NOT NULL DEFAULT '',
	text           TEXT    NOT NULL DEFAULT '',
	tokens         BLOB,                        -- int32 little endian
	details        BLOB,                        -- deflate(JSON array, one item per token)
	n_tokens       INTEGER NOT NULL DEFAULT 0,
	ttft_ms        REAL    NOT NULL DEFAULT 0,
	duration_ms    REAL    NOT NULL DEFAULT 0,
	tokens_per_sec REAL    NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, idx)
);
CREATE INDEX run_columns_preset ON run_columns(preset);

CREATE TABLE presets (
	id          INTEGER PRIMARY KEY,
	builtin     TEXT UNIQUE,                    -- key of a built-in; NULL for user presets
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	regime      TEXT    NOT NULL,               -- JSON Regime
	favourite   INTEGER NOT NULL DEFAULT 0,
	hidden      INTEGER NOT NULL DEFAULT 0,
	position    INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX presets_name ON presets(name COLLATE NOCASE);
`,
}
