package store

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSettingsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "settings.json")
	s, notice, err := LoadSettings(path)
	if err != nil || notice != "" {
		t.Fatalf("missing file: %v %q", err, notice)
	}
	if s.InspectK != DefaultInspectK || s.Theme != "system" {
		t.Errorf("defaults: %+v", s)
	}
	s.LastPrompt, s.Model, s.Theme, s.MenuBarOnly = "Hello", "demo", "dark", true
	s.Window = Window{X: 10, Y: 20, Width: 900, Height: 700}
	s.Columns = []SettingsColumn{{Preset: "Greedy", Regime: Regime{Params: knobs(0, 1)}}}
	if err := SaveSettings(path, s); err != nil {
		t.Fatal(err)
	}
	got, _, err := LoadSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastPrompt != "Hello" || got.Theme != "dark" || !got.MenuBarOnly ||
		got.Window != s.Window || len(got.Columns) != 1 || got.Columns[0].Preset != "Greedy" {
		t.Errorf("round trip: %+v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".settings.json.tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestSettingsKeepUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.json")
	os.WriteFile(path, []byte(`{"theme":"light","future_knob":{"a":[1,2]},"inspect_k":500}`), 0o600)
	s, _, err := LoadSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Theme != "light" || s.InspectK != DefaultInspectK {
		t.Errorf("loaded %+v", s)
	}
	s.LastPrompt = "x"
	if err := SaveSettings(path, s); err != nil {
		t.Fatal(err)
	}
	// A caller that rebuilds the settings from scratch keeps them too.
	fresh := DefaultSettings()
	fresh.LastPrompt = "x"
	if err := SaveSettings(path, fresh); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(path)
	if !strings.Contains(string(doc), `"future_knob"`) || !strings.Contains(string(doc), `"last_prompt": "x"`) {
		t.Errorf("unknown key not preserved:\n%s", doc)
	}
}

func TestCorruptSettingsMovedAside(t *testing.T) {
	for name, doc := range map[string]string{
		"truncated":  `{"theme":"da`,
		"wrong type": `{"inspect_k":"ten"}`,
		"not object": `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			os.WriteFile(path, []byte(doc), 0o600)
			s, notice, err := LoadSettings(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(notice, "damaged") || s.Theme != "system" {
				t.Errorf("notice %q settings %+v", notice, s)
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("kept files: %v", aside)
			}
			if kept, _ := os.ReadFile(aside[0]); string(kept) != doc {
				t.Error("damaged settings not kept byte for byte")
			}
		})
	}
}

// TestSettingsSurviveRestart writes settings, a preset and a run from a child process
// (this test binary re-executed) and reads them back in this one.
func TestSettingsSurviveRestart(t *testing.T) {
	if dir := os.Getenv("KNOBS_STORE_CHILD_DIR"); dir != "" {
		writeFromChild(t, InDir(dir))
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSettingsSurviveRestart$")
	cmd.Env = append(os.Environ(), "KNOBS_STORE_CHILD_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}

	p := InDir(dir)
	s, notice, err := LoadSettings(p.SettingsPath())
	if err != nil || notice != "" || s.LastPrompt != "from the child" || s.Model != "demo" ||
		len(s.Columns) != 1 || s.Window.Width != 640 {
		t.Errorf("settings after restart: %+v %q %v", s, notice, err)
	}
	st, err := Open(p.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.PresetByName("Child preset"); err != nil {
		t.Errorf("preset after restart: %v", err)
	}
	runs, _ := st.ListRuns(Query{})
	if len(runs) != 1 || runs[0].Status != StatusDone {
		t.Errorf("history after restart: %+v", runs)
	}
}

func writeFromChild(t *testing.T, p Paths) {
	s := DefaultSettings()
	s.LastPrompt, s.Model, s.Window.Width = "from the child", "demo", 640
	s.Columns = []SettingsColumn{{Preset: "Greedy", Regime: Regime{Params: knobs(0, 1)}}}
	if err := SaveSettings(p.SettingsPath(), s); err != nil {
		t.Fatal(err)
	}
	st, err := Open(p.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SavePreset("Child preset", "", Regime{Params: knobs(0.5, 1)}); err != nil {
		t.Fatal(err)
	}
	r := sampleRun()
	if err := st.CreateRun(&r); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(r.ID, StatusDone, ""); err != nil {
		t.Fatal(err)
	}
}
