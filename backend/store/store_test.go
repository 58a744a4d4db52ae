package store

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "knobs.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenSetsPragmasAndSchema(t *testing.T) {
	s, _ := openTemp(t)
	var mode string
	var fk, version int
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || fk != 1 || version != SchemaVersion() {
		t.Errorf("journal_mode=%s foreign_keys=%d user_version=%d, want wal 1 %d",
			mode, fk, version, SchemaVersion())
	}
}

func TestDefaultPathsFollowXDG(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	p := DefaultPaths()
	if want := filepath.Join(dir, "data", "knobs", "knobs.db"); p.DBPath() != want {
		t.Errorf("DBPath = %s, want %s", p.DBPath(), want)
	}
	if want := filepath.Join(dir, "config", "knobs", "settings.json"); p.SettingsPath() != want {
		t.Errorf("SettingsPath = %s, want %s", p.SettingsPath(), want)
	}
}

func TestNewerSchemaIsRefusedAndKept(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(path)

	_, err := Open(path)
	if !IsCode(err, CodeNewerSchema) {
		t.Fatalf("Open of a newer schema: got %v, want code %s", err, CodeNewerSchema)
	}
	if !strings.Contains(err.Error(), "Update Knobs") {
		t.Errorf("error lacks instructions: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("the newer database was modified")
	}
}

func TestCorruptDatabaseIsMovedAside(t *testing.T) {
	for name, content := range map[string][]byte{
		"not a database": []byte(strings.Repeat("this is not sqlite\n", 300)),
		"damaged pages":  nil, // filled below from a real database
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "knobs.db")
			if content == nil {
				content = damagedDatabase(t, path)
			}
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if !strings.Contains(s.Notice, "damaged") {
				t.Errorf("Notice = %q, want a message about the damage", s.Notice)
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) == 0 {
				t.Fatal("no .corrupt- file kept")
			}
			kept, _ := os.ReadFile(aside[0])
			if string(kept) != string(content) {
				t.Error("the damaged file was not kept byte for byte")
			}
			if ps, _ := s.Presets(false); len(ps) != len(builtins) {
				t.Errorf("fresh database has %d presets, want the %d built-ins", len(ps), len(builtins))
			}
		})
	}
}

// damagedDatabase builds a database with some history and overwrites the middle of
// its file, returning the damaged bytes.
func damagedDatabase(t *testing.T, path string) []byte {
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		r := sampleRun()
		r.Prompt = strings.Repeat("filler ", 100)
		if err := s.CreateRun(&r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the 100-byte header valid, garble the b-tree pages after the first.
	for i := 4096; i < len(doc)-4096; i += 7 {
		doc[i] ^= 0x5a
	}
	return doc
}

func sampleRun() Run {
	seed := uint64(42)
	r := Run{
		Kind: KindCompare, AppVersion: "test", Mode: ModeChat,
		Model:  ModelIdentity{Ref: "mlx-community/tiny", Revision: "abc", Path: "/m", Hash: "ff"},
		Prompt: "Write one short sentence about clouds:", System: "Be brief.",
		Rendered: "<s>Write", PromptTokens: []int32{1, 2, 3}, InspectK: 10,
	}
	for _, name := range []string{"Greedy", "Creative"} {
		reg := Regime{Name: name, Params: knobs(0.7, 0.95), MaxTokens: 16}
		reg.Seed = &seed
		r.Columns = append(r.Columns, Column{Preset: name, Regime: reg})
	}
	return r
}

func TestRunLifecycle(t *testing.T) {
	s, _ := openTemp(t)
	r := sampleRun()
	if err := s.CreateRun(&r); err != nil {
		t.Fatal(err)
	}
	c := r.Columns[1]
	c.Status, c.StopReason, c.Text = StatusDone, "max_tokens", " They danced."
	c.Tokens = []int32{7, -1, 1 << 30}
	c.Details = json.RawMessage(`[{"id":7,"text":" They"}]`)
	c.Stats = Stats{Tokens: 3, TTFTMs: 12.5, DurationMs: 40, TokensPerSec: 75}
	if err := s.SaveColumn(r.ID, &c); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(r.ID, StatusCancelled, ""); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetRun(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusCancelled || got.FinishedAt.IsZero() {
		t.Errorf("status %s finished %v", got.Status, got.FinishedAt)
	}
	if got.Columns[0].Status != StatusCancelled || got.Columns[1].Status != StatusDone {
		t.Errorf("column statuses %s %s, want cancelled done",
			got.Columns[0].Status, got.Columns[1].Status)
	}
	g := got.Columns[1]
	if g.Text != c.Text || len(g.Tokens) != 3 || g.Tokens[1] != -1 || g.Tokens[2] != 1<<30 ||
		string(g.Details) != string(c.Details) || g.Stats != c.Stats {
		t.Errorf("column round trip:\n got %+v\nwant %+v", g, c)
	}
	if g.Regime.Seed == nil || *g.Regime.Seed != 42 || g.Regime.TopP != 0.95 {
		t.Errorf("regime round trip: %+v", g.Regime)
	}
	if got.Model != r.Model || got.Rendered != r.Rendered || len(got.PromptTokens) != 3 {
		t.Errorf("run round trip: %+v", got)
	}

	if err := s.DeleteRun(r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(r.ID); !IsCode(err, CodeRunNotFound) {
		t.Errorf("GetRun after delete: %v", err)
	}
	var n int
	s.db.QueryRow("SELECT COUNT(*) FROM run_columns").Scan(&n)
	if n != 0 {
		t.Errorf("%d columns left after deleting their run", n)
	}
	if err := s.DeleteRun(r.ID); !IsCode(err, CodeRunNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestListRunsFilters(t *testing.T) {
	s, _ := openTemp(t)
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	make := func(day int, prompt, ref, preset string) int64 {
		s.now = func() time.Time { return base.AddDate(0, 0, day) }
		r := sampleRun()
		r.Prompt, r.Model.Ref = prompt, ref
		r.Columns = r.Columns[:1]
		r.Columns[0].Preset = preset
		if err := s.CreateRun(&r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	a := make(0, "clouds at dawn", "org/llama", "Greedy")
	b := make(1, "100% sure_thing", "org/qwen", "Creative")
	c := make(2, "Mars in one line", "org/llama", "Creative")

	cases := []struct {
		name string
		q    Query
		want []int64
	}{
		{"all newest first", Query{}, []int64{c, b, a}},
		{"text case-insensitive", Query{Text: "CLOUDS"}, []int64{a}},
		{"text with LIKE wildcards is literal", Query{Text: "0% s"}, []int64{b}},
		{"underscore is literal", Query{Text: "e_t"}, []int64{b}},
		{"model", Query{Model: "llama"}, []int64{c, a}},
		{"preset", Query{Preset: "creative"}, []int64{c, b}},
		{"since", Query{Since: base.AddDate(0, 0, 1)}, []int64{c, b}},
		{"until", Query{Until: base.AddDate(0, 0, 1)}, []int64{a}},
		{"limit offset", Query{Limit: 1, Offset: 1}, []int64{b}},
		{"combined", Query{Model: "llama", Preset: "greedy"}, []int64{a}},
		{"none", Query{Text: "nothing like this"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runs, err := s.ListRuns(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range runs {
				got = append(got, r.ID)
				if len(r.Columns) != 1 || r.Columns[0].Details != nil {
					t.Errorf("run %d: list should carry light columns, got %+v", r.ID, r.Columns)
				}
			}
			if !equalIDs(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	n, err := s.ClearRuns()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("ClearRuns removed %d running runs, want 0", n)
	}
	for _, id := range []int64{a, b, c} {
		s.FinishRun(id, StatusDone, "")
	}
	if n, _ := s.ClearRuns(); n != 3 {
		t.Errorf("ClearRuns removed %d, want 3", n)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAbandonedRunsBecomeInterrupted(t *testing.T) {
	s, path := openTemp(t)
	r := sampleRun()
	if err := s.CreateRun(&r); err != nil {
		t.Fatal(err)
	}
	mine := sampleRun()
	if err := s.CreateRun(&mine); err != nil {
		t.Fatal(err)
	}
	// Hand the first run to a process that has exited.
	if _, err := s.db.Exec("UPDATE runs SET owner_pid=? WHERE id=?", deadPID(t), r.ID); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Interrupted != 1 {
		t.Errorf("Interrupted = %d, want 1", s2.Interrupted)
	}
	got, _ := s2.GetRun(r.ID)
	if got.Status != StatusInterrupted || got.Columns[0].Status != StatusInterrupted {
		t.Errorf("abandoned run: %s / %s, want interrupted", got.Status, got.Columns[0].Status)
	}
	live, _ := s2.GetRun(mine.ID)
	if live.Status != StatusRunning {
		t.Errorf("a run of a live process became %s", live.Status)
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

func TestConcurrentHandles(t *testing.T) {
	_, path := openTemp(t)
	other, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	done := make(chan error, 2)
	for _, h := range []*Store{other} {
		go func(h *Store) {
			for i := 0; i < 20; i++ {
				r := sampleRun()
				if err := h.CreateRun(&r); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(h)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for i := 0; i < 20; i++ {
		r := sampleRun()
		if err := s2.CreateRun(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var n int
	s2.db.QueryRow("SELECT COUNT(*) FROM runs").Scan(&n)
	if n != 40 {
		t.Errorf("%d runs, want 40", n)
	}
}
