package main

import (
	"path/filepath"
	"testing"

	"github.com/knobs-app/knobs/backend/lab"
	"github.com/knobs-app/knobs/backend/lab/labtest"
	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/store"
)

func TestLabBindings(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	model := filepath.Join(dir, "model")
	if err := labtest.WriteModel(model); err != nil {
		t.Fatal(err)
	}

	a := newTestApp()
	defer a.lab.close()
	ps, err := a.Presets(false)
	if err != nil || len(ps) != 6 {
		t.Fatalf("Presets: %d %v", len(ps), err)
	}
	s, err := a.LoadSettings()
	if err != nil || s.InspectK != store.DefaultInspectK {
		t.Fatalf("LoadSettings: %+v %v", s, err)
	}
	s.LastPrompt = "remember me"
	if err := a.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadModel(model); err != nil {
		t.Fatal(err)
	}
	seed := uint64(1)
	p := sampling.Defaults(sampling.SamplerMLXLM)
	p.Seed = &seed
	res, err := a.Compare(lab.Request{Prompt: "hi", MaxTokens: 4,
		Columns: []lab.ColumnSpec{{Regime: store.Regime{Params: p}}}})
	if err != nil || len(res.Columns[0].Tokens) == 0 {
		t.Fatalf("Compare: %v", err)
	}
	runs, err := a.ListRuns(HistoryQuery{Text: "hi"})
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns: %d %v", len(runs), err)
	}
	rep, err := a.Replay(res.RunID)
	if err != nil || !rep.Identical {
		t.Fatalf("Replay: %+v %v", rep, err)
	}
	if _, err := a.ListRuns(HistoryQuery{Since: "yesterday"}); err == nil {
		t.Error("a bad date was accepted")
	}

	// A second app (the next start) finds the settings and the run.
	a.lab.close()
	b := newTestApp()
	defer b.lab.close()
	if s, _ := b.LoadSettings(); s.LastPrompt != "remember me" {
		t.Errorf("settings after restart: %q", s.LastPrompt)
	}
	if runs, _ := b.ListRuns(HistoryQuery{}); len(runs) != 1 {
		t.Errorf("history after restart: %d runs", len(runs))
	}
}
