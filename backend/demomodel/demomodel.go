// Package demomodel owns the built-in "Knobs demo" model: a tiny Llama trained by
// tools/train on the King James Bible, exported in the mlx-community layout (4-bit
// affine, group 64) and embedded in the binary, so that Knobs works offline out of the
// box. It is a toy: it writes KJV-flavoured English and knows nothing else.
//
// The engine loads models by path, so Dir writes the embedded files once into the
// user's cache directory, under a name derived from their content.
package demomodel

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Name is the model's display name.
const Name = "Knobs demo"

// ID is the model's reference in settings and run records.
const ID = "knobs-demo"

//go:embed knobs-demo/*.json knobs-demo/model.safetensors knobs-demo/LICENSE knobs-demo/README.md
var embedded embed.FS

// files is the embedded model directory: config.json, model.safetensors, the tokenizer
// files, and the licence and model card.
var files = mustSub(embedded, "knobs-demo")

func mustSub(f embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the embed pattern above guarantees dir exists
	}
	return sub
}

// FS returns the model's files (config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json, generation_config.json, LICENSE, README.md) as a read-only
// file system.
func FS() fs.FS { return files }

// Digest returns the hex sha256 of the model's files (names and contents, in name
// order); it names the extracted directory.
func Digest() string { return digest() }

var digest = sync.OnceValue(func() string {
	h := sha256.New()
	for _, name := range fileNames() {
		data, _ := fs.ReadFile(files, name) // embedded: cannot fail
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
})

func fileNames() []string {
	entries, _ := fs.ReadDir(files, ".") // embedded: cannot fail
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// Dir returns a directory holding the model's files, writing them the first time
// into the user's cache directory (os.UserCacheDir()/knobs/models/knobs-demo-<digest>).
func Dir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("demo model: %w", err)
	}
	return ExtractTo(filepath.Join(cache, "knobs", "models"))
}

// DirContext is Dir in the shape of lab.Options.Demo; extraction is quick and local,
// so the context is not consulted.
func DirContext(context.Context) (string, error) { return Dir() }

// ExtractTo returns root/knobs-demo-<digest prefix>, writing the model's files there
// unless a complete copy is already present. The files are written into a temporary
// directory beside it and renamed into place, so a reader never sees a partial copy
// and concurrent callers (other processes too) end with the same directory.
func ExtractTo(root string) (string, error) {
	dir := filepath.Join(root, ID+"-"+Digest()[:16])
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("demo model: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".knobs-demo-*")
	if err != nil {
		return "", fmt.Errorf("demo model: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	for _, name := range fileNames() {
		data, _ := fs.ReadFile(files, name)
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", fmt.Errorf("demo model: write %s: %w", name, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("demo model: %w", err)
	}
	// A damaged copy (complete said no) is replaced.
	if _, err := os.Stat(dir); err == nil {
		os.RemoveAll(dir)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another caller may have won the race; its copy is as good as ours.
		if complete(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("demo model: %w", err)
	}
	return dir, nil
}

// complete reports whether dir holds every file with its embedded size. The directory
// name carries the content digest and appears only by an atomic rename, so sizes are
// enough to catch a copy someone truncated.
func complete(dir string) bool {
	for _, name := range fileNames() {
		want, _ := fs.Stat(files, name)
		got, err := os.Stat(filepath.Join(dir, name))
		if err != nil || got.Size() != want.Size() {
			return false
		}
	}
	return true
}
