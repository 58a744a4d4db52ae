package lab

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/store"
)

// copyModel copies the test model into a fresh directory the test may alter.
func copyModel(t *testing.T) string {
	t.Helper()
	src := testModel(t)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestReplayIsIdentical(t *testing.T) {
	l, _ := newLab(t, testModel(t))
	ctx := context.Background()
	cols := fiveRegimes(16)
	cols[1].Regime.Seed = nil // a drawn seed must be recorded and reused
	cols[2].Regime.Stop = []string{"'"}
	res, err := l.Compare(ctx, Request{Prompt: "Once upon a time", Chat: true, System: "Be brief.",
		Columns: cols, InspectK: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Replay(ctx, res.RunID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical || rep.ModelChanged || rep.Divergence != nil {
		t.Fatalf("replay of an unchanged run: %+v", rep)
	}
	if !strings.Contains(rep.Message, "matches") {
		t.Errorf("message %q", rep.Message)
	}
}

func TestReplayDetectsChangedWeights(t *testing.T) {
	dir := copyModel(t)
	l, _ := newLab(t, dir)
	ctx := context.Background()
	res, err := l.Compare(ctx, Request{Prompt: "Once upon a time",
		Columns: fiveRegimes(16)[:2]}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// One byte: the high byte of the first element of the final norm's weight.
	flipByte(t, filepath.Join(dir, "model.safetensors"), "model.norm.weight", 1, 0x47)

	rep, err := l.Replay(ctx, res.RunID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identical || !rep.ModelChanged {
		t.Fatalf("replay after changing the weights claims identity: %+v", rep)
	}
	if rep.Divergence == nil || rep.Divergence.Column < 0 {
		t.Fatalf("no token divergence reported: %s", rep.Message)
	}
	if !strings.Contains(rep.Message, "diverges") || !strings.Contains(rep.Message, "changed") {
		t.Errorf("message %q", rep.Message)
	}
	t.Log(rep.Message)
}

// flipByte sets byte off of a tensor's data in a safetensors file to value.
func flipByte(t *testing.T, path, tensor string, off int, value byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	var info struct {
		DataOffsets [2]int `json:"data_offsets"`
	}
	if err := json.Unmarshal(header[tensor], &info); err != nil {
		t.Fatalf("tensor %s: %v", tensor, err)
	}
	pos := 8 + int(n) + info.DataOffsets[0] + off
	if data[pos] == value {
		value ^= 0x01
	}
	data[pos] = value
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReplayOfUnknownRun(t *testing.T) {
	l, _ := newLab(t, testModel(t))
	if _, err := l.Replay(context.Background(), 9999, nil); !store.IsCode(err, store.CodeRunNotFound) {
		t.Errorf("got %v", err)
	}
}
