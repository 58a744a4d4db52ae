// Package applog sets up the desktop app's log: log/slog text records, key-value pairs,
// appended to knobs/knobs.log under the user's state directory.
//
// The log is quiet by default (warnings and errors only). KNOBS_LOG_LEVEL raises or
// lowers the level: debug, info, warn, error or off.
package applog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/adrg/xdg"
)

// EnvLevel names the environment variable that sets the log level.
const EnvLevel = "KNOBS_LOG_LEVEL"

// DefaultLevel keeps the log quiet unless something goes wrong.
const DefaultLevel = slog.LevelWarn

// levelOff is above every level slog defines, so that nothing is written.
const levelOff = slog.Level(1 << 10)

// Path returns the log file's path: knobs/knobs.log under XDG_STATE_HOME (on macOS,
// ~/Library/Application Support).
func Path() string {
	return filepath.Join(xdg.StateHome, "knobs", "knobs.log")
}

// ParseLevel reads a level name as KNOBS_LOG_LEVEL spells it. The empty string is
// DefaultLevel.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return DefaultLevel, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "off", "none":
		return levelOff, nil
	}
	return DefaultLevel, fmt.Errorf("%s must be one of debug, info, warn, error, off, got %q",
		EnvLevel, s)
}

// New returns a logger that writes to w at the given level.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Open opens (creating it if needed) the log file at Path and returns a logger writing
// to it at the level from KNOBS_LOG_LEVEL, and the file to close at exit. An unknown
// level is reported in the log itself and the default is used.
func Open() (*slog.Logger, io.Closer, error) {
	level, levelErr := ParseLevel(os.Getenv(EnvLevel))

	path := Path()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}

	logger := New(f, level)
	if levelErr != nil {
		logger.Warn("ignoring log level", "err", levelErr)
	}
	return logger, f, nil
}
