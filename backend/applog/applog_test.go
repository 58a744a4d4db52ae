package applog

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adrg/xdg"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{in: "", want: slog.LevelWarn},
		{in: "debug", want: slog.LevelDebug},
		{in: "INFO", want: slog.LevelInfo},
		{in: " warn ", want: slog.LevelWarn},
		{in: "error", want: slog.LevelError},
		{in: "off", want: levelOff},
		{in: "loud", want: slog.LevelWarn, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLevel(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v",
					tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestQuietByDefault(t *testing.T) {
	var buf bytes.Buffer
	logger := New(&buf, DefaultLevel)
	logger.Info("started", "path", "/tmp/x")
	if buf.Len() != 0 {
		t.Errorf("info record written at the default level: %q", buf.String())
	}
	logger.Warn("no tray", "err", "no session bus")
	if !strings.Contains(buf.String(), `msg="no tray" err="no session bus"`) {
		t.Errorf("warning not written as key-value pairs: %q", buf.String())
	}
}

func TestOpenWritesUnderStateHome(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	t.Setenv(EnvLevel, "info")
	xdg.Reload()
	t.Cleanup(xdg.Reload)

	logger, closer, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("hello", "bytes", 3)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(dir, "knobs", "knobs.log")
	if Path() != path {
		t.Errorf("Path() = %s, want %s", Path(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "msg=hello bytes=3") {
		t.Errorf("log file = %q", b)
	}
}
