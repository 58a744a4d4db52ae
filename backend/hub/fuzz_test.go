package hub

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseRef checks that no input panics and that an accepted repo id maps to a
// single cache folder inside the cache.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{DefaultModel, "org/name@main", "a/b@refs/pr/1", "../x", "org/..",
		"org/x@..", "a--b/c", "/abs", "x@y@z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil || r.Dir != "" {
			return
		}
		folder := repoFolderName(r.Repo)
		if strings.ContainsAny(folder, `/\`) || folder != filepath.Base(folder) ||
			strings.Contains(folder, "..") {
			t.Fatalf("repo %q gives cache folder %q", r.Repo, folder)
		}
		if strings.Contains(r.Revision, "..") || strings.HasPrefix(r.Revision, "/") {
			t.Fatalf("revision %q accepted", r.Revision)
		}
	})
}

// FuzzValidateFileName checks that every accepted name stays inside the snapshot.
func FuzzValidateFileName(f *testing.F) {
	for _, s := range []string{"config.json", "a/b.json", "../x", "a/../../b", "/x", `a\b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if validateFileName(name) != nil {
			return
		}
		snap := "/cache/snapshots/c"
		p := filepath.Join(snap, filepath.FromSlash(name))
		rel, err := filepath.Rel(snap, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) ||
			p == snap {
			t.Fatalf("%q escapes the snapshot: %s", name, p)
		}
	})
}

// FuzzCheckConfig checks that arbitrary config.json bytes give an error, never a panic.
func FuzzCheckConfig(f *testing.F) {
	f.Add([]byte(llamaConfig))
	f.Add([]byte(`{"model_type":"llama","quantization":null}`))
	f.Add([]byte(`{"model_type":"qwen2","quantization":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = CheckConfig(data)
	})
}
