package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/lab/labtest"
	"github.com/knobs-app/knobs/backend/model/modeltest"
	"github.com/knobs-app/knobs/backend/store"
)

// slowModel writes a model large enough that eight long columns take tens of seconds,
// so a child process can be killed in the middle of its comparison.
func slowModel(t *testing.T) string {
	dir := t.TempDir()
	s := labtest.Spec(9)
	s.HiddenSize, s.IntermediateSize, s.NumHiddenLayers = 256, 1024, 4
	s.NumAttentionHeads, s.NumKeyValueHeads, s.HeadDim = 8, 2, 32
	s.MaxPositionEmbeddings = 4096
	if err := modeltest.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run starts a child knobs process and returns its stdout, failing on a non-zero exit.
func runChild(t *testing.T, args ...string) string {
	t.Helper()
	cmd := knobsProcess(t, args...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(interface{ Stderr() []byte }); ok {
			stderr = string(ee.Stderr())
		}
		t.Fatalf("knobs %s: %v %s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// TestPersistenceAndKill saves a preset and runs a comparison in separate processes,
// kills a third in the middle of a long comparison with SIGKILL, and checks from
// further processes that the database is consistent: the preset and the finished run
// survive, the killed run is marked interrupted, and the finished run replays.
func TestPersistenceAndKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes and decodes a larger model")
	}
	data := t.TempDir()
	dir := labModel(t)

	runChild(t, "presets", "save", "Mine", "--regime", "temp=0.9,top_p=0.9,seed=3",
		"--data-dir", data)
	out := runChild(t, "compare", "--model", dir, "--prompt", "Persist me", "--preset", "Mine",
		"--preset", "Greedy", "--max-tokens", "12", "--json", "--data-dir", data)
	var done struct {
		RunID int64 `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(out), &done); err != nil || done.RunID == 0 {
		t.Fatalf("compare output: %v %s", err, out)
	}

	// The kill: a long eight-column comparison, SIGKILLed once its run is recorded.
	slow := slowModel(t)
	args := []string{"compare", "--model", slow, "--prompt", "Kill me", "--max-tokens", "3000",
		"--data-dir", data}
	for i := 0; i < 8; i++ {
		args = append(args, "--regime", fmt.Sprintf("temp=1,seed=%d", i))
	}
	child := knobsProcess(t, args...)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killedID := waitForRunning(t, filepath.Join(data, "knobs.db"), 30*time.Second)
	time.Sleep(1500 * time.Millisecond) // past the lab's first progress write
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the child was not killed (it finished first?): %v", err)
	}

	// A new process sees a consistent database.
	out = runChild(t, "history", "list", "--json", "--data-dir", data)
	var runs []store.Run
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatal(err)
	}
	status := map[int64]store.Status{}
	for _, r := range runs {
		status[r.ID] = r.Status
	}
	if len(runs) != 2 || status[done.RunID] != store.StatusDone ||
		status[killedID] != store.StatusInterrupted {
		t.Errorf("after the kill: %v (want run %d done, run %d interrupted)", status,
			done.RunID, killedID)
	}
	st, err := store.Open(filepath.Join(data, "knobs.db"))
	if err != nil || st.Notice != "" {
		t.Fatalf("reopen after the kill: %v %q", err, st.Notice)
	}
	killed, err := st.GetRun(killedID)
	st.Close()
	if err != nil || len(killed.Columns) != 8 {
		t.Fatalf("killed run: %v", err)
	}
	for _, c := range killed.Columns {
		if c.Status != store.StatusInterrupted || len(c.Tokens) == 0 || c.Text == "" {
			t.Errorf("killed run column %d: %s with %d tokens kept", c.Index, c.Status, len(c.Tokens))
		}
	}
	if out := runChild(t, "presets", "show", "Mine", "--data-dir", data); !strings.Contains(out, "temp=0.9") {
		t.Errorf("preset lost: %q", out)
	}
	if out := runChild(t, "history", "replay", fmt.Sprint(done.RunID), "--data-dir", data); !strings.Contains(out, "matches") {
		t.Errorf("replay in a new process: %q", out)
	}
}

// waitForRunning polls the database until a run is recorded as running and returns
// its id.
func waitForRunning(t *testing.T, path string, limit time.Duration) int64 {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if st, err := store.Open(path); err == nil {
			runs, _ := st.ListRuns(store.Query{Status: store.StatusRunning})
			st.Close()
			if len(runs) > 0 {
				return runs[0].ID
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the child never recorded a running run")
	return 0
}

func TestHistoryReplayReportsChangedWeights(t *testing.T) {
	dir := t.TempDir()
	if err := labtest.WriteModel(dir); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	stdout, stderr, code := knobs("compare", "--model", dir, "--prompt", "Byte", "--regime",
		"temp=0", "--regime", "temp=1.5,seed=3", "--max-tokens", "8", "--json", "--data-dir", data)
	if code != 0 {
		t.Fatalf("compare: %s", stderr)
	}
	var out struct {
		RunID int64 `json:"run_id"`
	}
	json.Unmarshal([]byte(stdout), &out)

	// Change one byte of the weights: the high byte of model.norm.weight[0].
	path := filepath.Join(dir, "model.safetensors")
	st, err := safetensorsOffset(path, "model.norm.weight")
	if err != nil {
		t.Fatal(err)
	}
	flipAt(t, path, st+1)

	stdout, stderr, code = knobs("history", "replay", fmt.Sprint(out.RunID), "--json",
		"--data-dir", data)
	var rep struct {
		Identical    bool `json:"identical"`
		ModelChanged bool `json:"model_changed"`
		Divergence   *struct {
			Column, Step int
		} `json:"divergence"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("replay --json: %v %q %q", err, stdout, stderr)
	}
	if code != 1 || rep.Identical || !rep.ModelChanged || rep.Divergence == nil ||
		!strings.Contains(stderr, "differs") {
		t.Errorf("replay after a changed byte: exit %d %+v, stderr %q", code, rep, stderr)
	}
}

// safetensorsOffset returns the file offset of a tensor's first byte.
func safetensorsOffset(path, tensor string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n := binary.LittleEndian.Uint64(data[:8])
	var header map[string]struct {
		DataOffsets [2]int `json:"data_offsets"`
	}
	// The __metadata__ entry has no offsets and decodes as zeros.
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		return 0, err
	}
	info, ok := header[tensor]
	if !ok {
		return 0, fmt.Errorf("no tensor %s", tensor)
	}
	return 8 + int(n) + info.DataOffsets[0], nil
}

// flipAt changes the byte at off.
func flipAt(t *testing.T, path string, off int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
