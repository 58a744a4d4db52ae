package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinPresets(t *testing.T) {
	s, path := openTemp(t)
	ps, err := s.Presets(false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{
		"Greedy": {0, 1}, "Default zone": {0.7, 0.95}, "Creative": {1.5, 0.95},
		"Untamed": {2.5, 1}, "Tamed": {2.5, 0.9}, "Loop breaker": {0, 1},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d built-ins, want %d", len(ps), len(want))
	}
	for _, p := range ps {
		w, ok := want[p.Name]
		if !ok || p.Builtin == "" || p.Regime.Temperature != w[0] || p.Regime.TopP != w[1] {
			t.Errorf("built-in %q: %+v", p.Name, p.Regime)
		}
		if err := p.Regime.Validate(); err != nil {
			t.Errorf("built-in %q is invalid: %v", p.Name, err)
		}
	}
	lb, _ := s.PresetByName("loop BREAKER")
	if lb.Regime.RepetitionPenalty != 1.1 {
		t.Errorf("Loop breaker repetition_penalty = %g", lb.Regime.RepetitionPenalty)
	}

	// Built-ins cannot be deleted, renamed or overwritten, only hidden.
	g, _ := s.PresetByName("Greedy")
	if err := s.DeletePreset(g.ID); !IsCode(err, CodePresetBuiltin) {
		t.Errorf("DeletePreset(built-in): %v", err)
	}
	if err := s.RenamePreset(g.ID, "Mine"); !IsCode(err, CodePresetBuiltin) {
		t.Errorf("RenamePreset(built-in): %v", err)
	}
	if _, err := s.SavePreset("greedy", "", Regime{Params: knobs(1, 1)}); !IsCode(err, CodePresetBuiltin) {
		t.Errorf("SavePreset over a built-in: %v", err)
	}
	if err := s.SetHidden(g.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFavourite(g.ID, true); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Reopening keeps the choices and does not bring the hidden one back.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	visible, _ := s2.Presets(false)
	all, _ := s2.Presets(true)
	if len(visible) != len(want)-1 || len(all) != len(want) {
		t.Errorf("after hiding: %d visible, %d in all", len(visible), len(all))
	}
	g2, _ := s2.PresetByName("Greedy")
	if !g2.Hidden || !g2.Favourite {
		t.Errorf("hidden/favourite not kept: %+v", g2)
	}
}

func TestUserPresets(t *testing.T) {
	s, _ := openTemp(t)
	r := Regime{Params: knobs(0.9, 0.8), MaxTokens: 50, Stop: []string{"\n\n"}}
	p, err := s.SavePreset("Warm", "a bit warmer", r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Builtin != "" || p.Regime.TopP != 0.8 || p.Regime.Stop[0] != "\n\n" {
		t.Errorf("saved %+v", p)
	}

	r.Temperature = 1.0
	p2, err := s.SavePreset("warm", "updated", r)
	if err != nil {
		t.Fatal(err)
	}
	if p2.ID != p.ID || p2.Regime.Temperature != 1.0 || p2.Description != "updated" {
		t.Errorf("save over an existing user preset: %+v", p2)
	}

	dup, err := s.DuplicatePreset(p.ID, "")
	if err != nil || dup.Name != "Warm copy" {
		t.Fatalf("duplicate: %+v %v", dup, err)
	}
	dup2, _ := s.DuplicatePreset(p.ID, "")
	if dup2.Name != "Warm copy 2" {
		t.Errorf("second duplicate named %q", dup2.Name)
	}
	g, _ := s.PresetByName("Greedy")
	if gd, err := s.DuplicatePreset(g.ID, "My greedy"); err != nil || gd.Builtin != "" {
		t.Errorf("duplicating a built-in: %+v %v", gd, err)
	}

	if err := s.RenamePreset(dup.ID, "Creative"); !IsCode(err, CodePresetExists) {
		t.Errorf("rename onto a taken name: %v", err)
	}
	if err := s.RenamePreset(dup.ID, "Toasty"); err != nil {
		t.Fatal(err)
	}

	if err := s.ReorderPresets([]int64{dup2.ID, p.ID}); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.Presets(true)
	if ps[0].ID != dup2.ID || ps[1].ID != p.ID {
		t.Errorf("order after reorder: %s, %s", ps[0].Name, ps[1].Name)
	}

	if err := s.DeletePreset(p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PresetByName("Warm"); !IsCode(err, CodePresetNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestPresetNameAndKnobErrors(t *testing.T) {
	s, _ := openTemp(t)
	ok := Regime{Params: knobs(1, 1)}
	bad := ok
	bad.Temperature = -1
	cases := []struct {
		name, preset string
		regime       Regime
		code         string
	}{
		{"empty name", "", ok, CodeInvalidPreset},
		{"padded name", " x ", ok, CodeInvalidPreset},
		{"long name", strings.Repeat("n", 65), ok, CodeInvalidPreset},
		{"negative temperature", "hot", bad, CodeInvalidRegime},
		{"max_tokens too large", "long", Regime{Params: knobs(1, 1), MaxTokens: 1 << 20}, CodeInvalidRegime},
		{"empty stop", "stop", Regime{Params: knobs(1, 1), Stop: []string{""}}, CodeInvalidRegime},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.SavePreset(tc.preset, "", tc.regime)
			if !IsCode(err, tc.code) {
				t.Errorf("got %v, want code %s", err, tc.code)
			}
		})
	}
	if _, err := s.PresetByName("Nope"); !IsCode(err, CodePresetNotFound) ||
		!strings.Contains(err.Error(), "Greedy") {
		t.Errorf("unknown preset error should list the presets: %v", err)
	}
}

func TestPresetExportImport(t *testing.T) {
	s, _ := openTemp(t)
	seed := uint64(7)
	r := Regime{Params: knobs(0.8, 0.9), MaxTokens: 40}
	r.Seed = &seed
	if _, err := s.SavePreset("Seeded", "fixed seed", r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePreset("Other", "", Regime{Params: knobs(0.3, 1)}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "presets.json")
	n, err := s.ExportPresets(file, nil)
	if err != nil || n != 2 {
		t.Fatalf("export: %d %v", n, err)
	}

	other, _ := openTemp(t)
	if _, err := other.SavePreset("Other", "", Regime{Params: knobs(1, 1)}); err != nil {
		t.Fatal(err)
	}
	res, err := other.ImportPresets(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 2 || res.Renamed["Other"] != "Other (imported)" {
		t.Errorf("import result %+v", res)
	}
	got, err := other.PresetByName("Seeded")
	if err != nil || got.Regime.Seed == nil || *got.Regime.Seed != 7 || got.Regime.MaxTokens != 40 {
		t.Errorf("imported %+v %v", got, err)
	}
	// Importing twice numbers the copies.
	res, _ = other.ImportPresets(file)
	if res.Renamed["Seeded"] != "Seeded (imported)" || res.Renamed["Other"] != "Other (imported 2)" {
		t.Errorf("second import %+v", res)
	}
}

func TestPresetImportRejectsBadFiles(t *testing.T) {
	valid := map[string]any{"format": "knobs-presets", "version": 1, "presets": []any{
		map[string]any{"name": "A", "regime": map[string]any{"temp": 0.5, "top_p": 1.0,
			"repetition_penalty": 1.0, "sampler": "mlx-lm"}},
	}}
	cases := []struct {
		name   string
		doc    string
		reason string
	}{
		{"not JSON", "{", "not valid JSON"},
		{"wrong format", `{"format":"x","version":1,"presets":[]}`, `"format" must be`},
		{"no version", `{"format":"knobs-presets","presets":[]}`, `no "version"`},
		{"newer version", `{"format":"knobs-presets","version":2,"presets":[]}`, "newer Knobs"},
		{"version zero", `{"format":"knobs-presets","version":0,"presets":[]}`, `"version" must be 1`},
		{"unknown top-level field", mutate(valid, func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		{"unknown regime key", mutate(valid, func(m map[string]any) {
			preset0(m)["regime"].(map[string]any)["temperature"] = 1
		}), "unknown field"},
		{"wrong type", mutate(valid, func(m map[string]any) {
			preset0(m)["regime"].(map[string]any)["top_k"] = "ten"
		}), "cannot unmarshal"},
		{"invalid knob", mutate(valid, func(m map[string]any) {
			preset0(m)["regime"].(map[string]any)["temp"] = -2
		}), "temp"},
		{"empty name", mutate(valid, func(m map[string]any) { preset0(m)["name"] = "" }), "must not be empty"},
		{"duplicate name", mutate(valid, func(m map[string]any) {
			m["presets"] = append(m["presets"].([]any), map[string]any{"name": "a",
				"regime": map[string]any{"temp": 0.1, "top_p": 1.0, "repetition_penalty": 1.0}})
		}), "appears twice"},
		{"trailing data", `{"format":"knobs-presets","version":1,"presets":[]} {}`, "not valid JSON"},
	}
	s, _ := openTemp(t)
	before, _ := s.Presets(true)
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "p.json")
			os.WriteFile(file, []byte(tc.doc), 0o600)
			_, err := s.ImportPresets(file)
			if !IsCode(err, CodePresetFile) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got %v, want code %s mentioning %q", err, CodePresetFile, tc.reason)
			}
		})
	}
	after, _ := s.Presets(true)
	if len(after) != len(before) {
		t.Errorf("a rejected import changed the presets: %d -> %d", len(before), len(after))
	}
	if _, err := s.ImportPresets(filepath.Join(dir, "missing.json")); !IsCode(err, CodePresetFile) {
		t.Errorf("missing file: %v", err)
	}
}

func mutate(m map[string]any, f func(map[string]any)) string {
	doc, _ := json.Marshal(m)
	var c map[string]any
	json.Unmarshal(doc, &c)
	f(c)
	out, _ := json.Marshal(c)
	return string(out)
}

func preset0(m map[string]any) map[string]any {
	return m["presets"].([]any)[0].(map[string]any)
}
