package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/lab/labtest"
)

// labModel writes the lab's tiny test model into a directory of the test.
func labModel(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := labtest.WriteModel(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// knobs runs the CLI in this process and returns stdout, stderr and the exit code.
func knobs(args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	code := runMain(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// knobsProcess runs the CLI in a child process (this test binary re-executed), for
// tests about process restarts and kills.
func knobsProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	enc, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIChild$")
	cmd.Env = append(os.Environ(), "KNOBS_CLI_CHILD_ARGS="+string(enc))
	return cmd
}

// TestCLIChild is the child process of knobsProcess; it does nothing in a normal run.
func TestCLIChild(t *testing.T) {
	raw := os.Getenv("KNOBS_CLI_CHILD_ARGS")
	if raw == "" {
		t.Skip("runs only as the child of knobsProcess")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(runMain(args, os.Stdout, os.Stderr))
}

// comparable drops the speeds, which differ from run to run, and the run id.
func comparable(out generateOutput) generateOutput {
	out.PrefillTokensPerSecond, out.DecodeTokensPerSecond, out.RunID = 0, 0, 0
	return out
}

func TestCompareColumnsMatchGenerate(t *testing.T) {
	dir := labModel(t)
	data := t.TempDir()
	regimes := []string{
		"temp=0,seed=11",
		"temp=1.2,top_p=0.98,seed=12",
		"temp=1.8,top_p=0.95,top_k=50,seed=13",
		"temp=2.5,seed=14,max_tokens=20",
		"temp=1.5,min_p=0.02,repetition_penalty=1.5,repetition_context=8,seed=15",
	}
	args := []string{"compare", "--model", dir, "--prompt", "The knobs", "--max-tokens", "30",
		"--json", "--data-dir", data}
	for _, r := range regimes {
		args = append(args, "--regime", r)
	}
	stdout, stderr, code := knobs(args...)
	if code != 0 {
		t.Fatalf("compare exit %d: %s", code, stderr)
	}
	var cmp struct {
		RunID   int64 `json:"run_id"`
		Columns []struct {
			generateOutput
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(stdout), &cmp); err != nil {
		t.Fatalf("compare --json: %v\n%s", err, stdout)
	}
	if cmp.RunID == 0 || len(cmp.Columns) != len(regimes) {
		t.Fatalf("compare: run %d, %d columns", cmp.RunID, len(cmp.Columns))
	}

	flagsOf := map[string]string{"temp": "--temp", "top_p": "--top-p", "top_k": "--top-k",
		"min_p": "--min-p", "repetition_penalty": "--repetition-penalty",
		"repetition_context": "--repetition-context", "seed": "--seed", "max_tokens": "--max-tokens"}
	for i, r := range regimes {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			gen := []string{"generate", "--model", dir, "--prompt", "The knobs", "--max-tokens",
				"30", "--logprobs", "10", "--json", "--data-dir", data}
			for _, kv := range strings.Split(r, ",") {
				k, v, _ := strings.Cut(kv, "=")
				gen = append(gen, flagsOf[k], v)
			}
			// Alone, with one and with two threads, generate must give the column's
			// tokens and inspection data bit for bit.
			for _, procs := range []int{1, 2} {
				prev := runtime.GOMAXPROCS(procs)
				stdout, stderr, code := knobs(gen...)
				runtime.GOMAXPROCS(prev)
				if code != 0 {
					t.Fatalf("generate (GOMAXPROCS=%d) exit %d: %s", procs, code, stderr)
				}
				var alone generateOutput
				if err := json.Unmarshal([]byte(stdout), &alone); err != nil {
					t.Fatal(err)
				}
				col := cmp.Columns[i].generateOutput
				if len(col.Tokens) == 0 || col.Tokens[0].Sampling == nil {
					t.Fatalf("column %d has no tokens or no sampling data", i)
				}
				if !reflect.DeepEqual(comparable(col), comparable(alone)) {
					t.Errorf("column %d differs from generate alone (GOMAXPROCS=%d):\n"+
						"compare  %q %s seed %d\ngenerate %q %s seed %d", i, procs,
						col.Text, col.StopReason, col.Seed, alone.Text, alone.StopReason, alone.Seed)
				}
			}
		})
	}

	// Every run is in the history: the comparison and the five generations, each run
	// with one and with two threads.
	stdout, _, code = knobs("history", "list", "--json", "--data-dir", data)
	var runs []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &runs) != nil || len(runs) != 1+2*len(regimes) {
		t.Errorf("history list: exit %d, %d runs", code, len(runs))
	}
	stdout, stderr, code = knobs("history", "replay", fmt.Sprint(cmp.RunID), "--data-dir", data)
	if code != 0 || !strings.Contains(stdout, "matches") {
		t.Errorf("replay: exit %d %s %s", code, stdout, stderr)
	}
}

func TestCLIBadInput(t *testing.T) {
	dir := labModel(t)
	data := t.TempDir()
	corrupt := t.TempDir()
	os.WriteFile(filepath.Join(corrupt, "knobs.db"), bytes.Repeat([]byte("garbage!"), 512), 0o600)
	badImport := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(badImport, []byte(`{"format":"knobs-presets","version":3,"presets":[]}`), 0o600)
	fieldsImport := filepath.Join(t.TempDir(), "q.json")
	os.WriteFile(fieldsImport, []byte(`{"format":"knobs-presets","version":1,"presets":[{"name":"x","regime":{"temperature":1}}]}`), 0o600)

	base := []string{"compare", "--model", dir, "--data-dir", data}
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"unknown preset", append(base, "--prompt", "hi", "--preset", "Nope"), 1, "Greedy"},
		{"invalid knob", append(base, "--prompt", "hi", "--regime", "temp=-1"), 1, "temp"},
		{"top_p out of range", append(base, "--prompt", "hi", "--regime", "top_p=1.5"), 1, "top_p"},
		{"explicit top_p 0", append(base, "--prompt", "hi", "--regime", "top_p=0"), 1, "top_p"},
		{"unknown regime key", append(base, "--prompt", "hi", "--regime", "temperature=1"), 2, "unknown key"},
		{"not a number", append(base, "--prompt", "hi", "--regime", "temp=hot"), 2, "not a number"},
		{"generate invalid flag", []string{"generate", "--model", dir, "--prompt", "hi", "--top-k", "-2",
			"--data-dir", data}, 1, "top_k"},
		{"empty prompt", append(base, "--prompt", "", "--preset", "Greedy"), 1, "empty"},
		{"prompt longer than the context", append(base, "--prompt", strings.Repeat("x", 700),
			"--preset", "Greedy"), 1, "context"},
		{"no column", append(base, "--prompt", "hi"), 2, "--preset or --regime"},
		{"import newer version", []string{"presets", "import", badImport, "--data-dir", data}, 1, "newer"},
		{"import unknown field", []string{"presets", "import", fieldsImport, "--data-dir", data}, 1, "unknown field"},
		{"delete a built-in", []string{"presets", "delete", "Greedy", "--data-dir", data}, 1, "built-in"},
		{"show an unknown run", []string{"history", "show", "42", "--data-dir", data}, 1, "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := knobs(tc.args...)
			if code != tc.code || !strings.Contains(strings.ToLower(stderr), strings.ToLower(tc.says)) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.says)
			}
		})
	}

	// A corrupt database is set aside with a message, and the command works.
	stdout, stderr, code := knobs("presets", "list", "--data-dir", corrupt)
	if code != 0 || !strings.Contains(stderr, "damaged") || !strings.Contains(stdout, "Greedy") {
		t.Errorf("corrupt db: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if kept, _ := filepath.Glob(filepath.Join(corrupt, "knobs.db.corrupt-*")); len(kept) != 1 {
		t.Errorf("corrupt database not kept: %v", kept)
	}
	// Nothing was recorded by the refused commands.
	stdout, _, _ = knobs("history", "list", "--json", "--data-dir", data)
	if strings.TrimSpace(stdout) != "[]" {
		t.Errorf("refused commands left runs: %s", stdout)
	}
}
