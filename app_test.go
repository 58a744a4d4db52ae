package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/applog"
	"github.com/knobs-app/knobs/backend/lab/labtest"
	"github.com/knobs-app/knobs/backend/store"
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

// isolate points the XDG directories into a temporary directory.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range []string{"DATA", "CONFIG", "STATE", "CACHE"} {
		t.Setenv("XDG_"+v+"_HOME", filepath.Join(dir, strings.ToLower(v)))
	}
	return dir
}

func TestStatusBeforeAnyModel(t *testing.T) {
	isolate(t)
	a := newTestApp()
	defer a.lab.close()
	got := a.Status()
	want := Status{Version: "1.2.3"}
	if got != want {
		t.Errorf("Status() = %+v, want %+v", got, want)
	}
}

func TestStatusReportsTheResidentModel(t *testing.T) {
	dir := isolate(t)
	model := filepath.Join(dir, "model")
	if err := labtest.WriteModel(model); err != nil {
		t.Fatal(err)
	}
	a := newTestApp()
	defer a.lab.close()
	if err := a.LoadModel(model); err != nil {
		t.Fatal(err)
	}
	got := a.Status()
	if !got.ModelLoaded || got.Model != model {
		t.Errorf("Status() = %+v, want model %q loaded", got, model)
	}
}

func TestStartupModelAndRunAllEvent(t *testing.T) {
	dir := isolate(t)
	model := filepath.Join(dir, "model")
	if err := labtest.WriteModel(model); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvModel, model)
	t.Setenv(EnvSmokeRun, "1")
	t.Setenv(EnvReadyFile, "")

	a := newTestApp()
	defer a.lab.close()
	events := make(chan string, 16)
	a.emit = func(name string, data ...any) { events <- name }
	a.startServices()
	if err := a.Ready("Knobs"); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case name := <-events:
			if name == EventRunAll {
				if !a.Status().ModelLoaded {
					t.Error("run-all was sent before the model loaded")
				}
				return
			}
		case <-deadline:
			t.Fatal("no app:run-all event after the model loaded")
		}
	}
}

func TestMenuBarOnly(t *testing.T) {
	isolate(t)
	logger := applog.New(io.Discard, applog.DefaultLevel)
	t.Setenv(EnvMenuBarOnly, "")
	if menuBarOnly(logger) {
		t.Error("menu-bar only without a settings file")
	}

	s := store.DefaultSettings()
	s.MenuBarOnly = true
	if err := store.SaveSettings(store.DefaultPaths().SettingsPath(), s); err != nil {
		t.Fatal(err)
	}
	if !menuBarOnly(logger) {
		t.Error("the saved setting was not read")
	}
	t.Setenv(EnvMenuBarOnly, "0")
	if menuBarOnly(logger) {
		t.Error("KNOBS_MENUBAR_ONLY=0 did not override the setting")
	}
}

func TestUIReportAppendsOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	t.Setenv(EnvReadyFile, path)
	a := newTestApp()
	if err := a.UIReport("run-all-done", "one\ntwo  three"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "run-all-done: one two three\n"; got != want {
		t.Errorf("ready file = %q, want %q", got, want)
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

func TestStartupModel(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv(EnvModel, "")
	a := newTestApp()

	if got := a.startupModel(); got != "" {
		t.Errorf("without settings: %q, want \"\" (default model, else demo)", got)
	}
	path := store.DefaultPaths().SettingsPath()
	if err := store.SaveSettings(path, store.Settings{Model: " org/fav "}); err != nil {
		t.Fatal(err)
	}
	if got := a.startupModel(); got != "org/fav" {
		t.Errorf("with a saved default model: %q, want org/fav", got)
	}
	t.Setenv(EnvModel, "/models/tiny")
	if got := a.startupModel(); got != "/models/tiny" {
		t.Errorf("with %s set: %q, want /models/tiny", EnvModel, got)
	}
}
