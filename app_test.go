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
	on := store.Settings{MenuBarOnly: true}
	cases := []struct {
		name string
		env  string
		s    store.Settings
		want bool
	}{
		{"defaults", "", store.DefaultSettings(), false},
		{"saved setting", "", on, true},
		{"env 0 wins", "0", on, false},
		{"env 1 wins", "1", store.DefaultSettings(), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvMenuBarOnly, c.env)
			if got := menuBarOnly(c.s); got != c.want {
				t.Errorf("menuBarOnly(MenuBarOnly=%v) = %v, want %v", c.s.MenuBarOnly, got, c.want)
			}
		})
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
	t.Setenv(EnvModel, "")
	if got := startupModel(store.DefaultSettings()); got != "" {
		t.Errorf("without a default model: %q, want \"\" (default model, else demo)", got)
	}
	saved := store.Settings{Model: " org/fav "}
	if got := startupModel(saved); got != "org/fav" {
		t.Errorf("with a saved default model: %q, want org/fav", got)
	}
	t.Setenv(EnvModel, "/models/tiny")
	if got := startupModel(saved); got != "/models/tiny" {
		t.Errorf("with %s set: %q, want /models/tiny", EnvModel, got)
	}
}

func TestLaunchSettingsReadsTheFileOnce(t *testing.T) {
	isolate(t)
	path := store.DefaultPaths().SettingsPath()
	saved := store.Settings{Model: "org/fav", MenuBarOnly: true}
	if err := store.SaveSettings(path, saved); err != nil {
		t.Fatal(err)
	}
	a := newTestApp()
	first := a.launchSettings()
	if first.Model != "org/fav" || !first.MenuBarOnly {
		t.Fatalf("launchSettings() = %+v, want the saved model and menu-bar only", first)
	}

	// A later change of the file does not reach the launch decisions.
	if err := store.SaveSettings(path, store.Settings{Model: "org/other"}); err != nil {
		t.Fatal(err)
	}
	if got := a.launchSettings(); got.Model != "org/fav" || !got.MenuBarOnly {
		t.Errorf("second launchSettings() = %+v, read the file again", got)
	}
}

func TestLaunchSettingsFallsBackOnADamagedFile(t *testing.T) {
	isolate(t)
	path := store.DefaultPaths().SettingsPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvModel, "")
	t.Setenv(EnvMenuBarOnly, "")

	a := newTestApp()
	defer a.lab.close()
	s := a.launchSettings()
	if menuBarOnly(s) || startupModel(s) != "" {
		t.Errorf("damaged file: menu-bar only %v, model %q, want the defaults",
			menuBarOnly(s), startupModel(s))
	}
	if notices := a.LabNotices(); len(notices) != 1 || !strings.Contains(notices[0], "damaged") {
		t.Errorf("LabNotices() = %q, want one notice about the damaged settings file", notices)
	}
}
