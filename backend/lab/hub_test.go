package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/hub"
	"github.com/knobs-app/knobs/backend/store"
)

// hubCache lays the test model out as a Hugging Face cache snapshot of repo at commit
// and returns the cache directory.
func hubCache(t *testing.T, repo, commit string) string {
	t.Helper()
	cache := t.TempDir()
	repoDir := filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"))
	snap := filepath.Join(repoDir, "snapshots", commit)
	if err := os.MkdirAll(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	src := testModel(t)
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(snap, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(repoDir, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repoDir, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
	return cache
}

func TestLoadByHubRefRecordsIdentity(t *testing.T) {
	const repo, commit = "knobs-test/tiny", "0123456789abcdef0123456789abcdef01234567"
	cache := hubCache(t, repo, commit)
	st, err := store.Open(filepath.Join(t.TempDir(), "knobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var phases []string
	l := New(Options{Store: st, Hub: hub.NewClient(hub.Options{CacheDir: cache, Offline: true}),
		OnStatus: func(s Status) { phases = append(phases, string(s.State)+"/"+s.Phase) }})
	defer l.Close()

	if err := l.Load(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	id := l.Status().Identity
	if id.Ref != repo || id.Revision != commit || id.Hash == "" {
		t.Errorf("identity %+v", id)
	}
	if got := strings.Join(phases, " "); !strings.Contains(got, "loading/hashing") ||
		!strings.HasSuffix(got, "ready/") {
		t.Errorf("status sequence %q", got)
	}

	res, err := l.Compare(context.Background(), Request{Prompt: "hub", Columns: fiveRegimes(4)[:2]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := st.GetRun(res.RunID)
	if run.Model.Ref != repo || run.Model.Revision != commit {
		t.Errorf("recorded model %+v", run.Model)
	}

	// A lab that starts empty loads the recorded revision for the replay.
	l2 := New(Options{Store: st, Hub: hub.NewClient(hub.Options{CacheDir: cache, Offline: true})})
	defer l2.Close()
	rep, err := l2.Replay(context.Background(), res.RunID, nil)
	if err != nil || !rep.Identical {
		t.Fatalf("replay in a fresh lab: %+v %v", rep, err)
	}

	// A ref that is not in the cache fails offline with the hub's coded error.
	if err := l2.Load(context.Background(), "knobs-test/absent"); codeOf(err) == "" {
		t.Errorf("missing model: %v", err)
	}
	if l2.Status().State != StateReady {
		t.Errorf("a failed switch should keep the resident model, state %s", l2.Status().State)
	}
}
