package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/knobs-app/knobs/backend/applog"
)

func newTestApp() *App {
	return NewApp(applog.New(io.Discard, applog.DefaultLevel), "1.2.3")
}

func TestReadyAppendsTitleToReadyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	t.Setenv(EnvReadyFile, path)

	a := newTestApp()
	for _, title := range []string{"Knobs", "Knobs again"} {
		if err := a.Ready(title); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "Knobs\nKnobs again\n"; got != want {
		t.Errorf("ready file = %q, want %q", got, want)
	}
}

func TestReadyWithoutReadyFile(t *testing.T) {
	t.Setenv(EnvReadyFile, "")
	if err := newTestApp().Ready("Knobs"); err != nil {
		t.Errorf("Ready() = %v, want nil", err)
	}
}

func TestReadyReportsAnUnwritableFile(t *testing.T) {
	t.Setenv(EnvReadyFile, filepath.Join(t.TempDir(), "missing", "ready"))
	if err := newTestApp().Ready("Knobs"); err == nil {
		t.Error("Ready() = nil, want an error for a file in a missing directory")
	}
}

func TestStatusBeforeAnyModel(t *testing.T) {
	got := newTestApp().Status()
	want := Status{Version: "1.2.3"}
	if got != want {
		t.Errorf("Status() = %+v, want %+v", got, want)
	}
}

func TestCloseWithoutTrayQuits(t *testing.T) {
	a := newTestApp()
	if prevent := a.beforeClose(context.Background()); prevent {
		t.Error("beforeClose prevented the close although there is no tray")
	}
	a.tray = newTray(a) // created but never started, as with no session bus
	if prevent := a.beforeClose(context.Background()); prevent {
		t.Error("beforeClose prevented the close although the tray did not start")
	}
}
