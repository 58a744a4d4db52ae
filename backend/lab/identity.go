package lab

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// identityFiles are the files besides the weights whose bytes change what a model
// generates: the architecture, the tokenizer, the chat template and the stop tokens.
var identityFiles = []string{
	"config.json",
	"tokenizer.json",
	"tokenizer_config.json",
	"generation_config.json",
	"special_tokens_map.json",
	"chat_template.jinja",
	"chat_template.json",
}

// HashModel returns the hex SHA-256 content hash of a model directory: over every
// *.safetensors file, the safetensors index and identityFiles that exist, in sorted
// name order, each framed as name, NUL, 8-byte little-endian size, contents. Symlinks
// (the hub cache's snapshots) are followed. Changing any byte of any of these files
// changes the hash; a replay uses it to tell a changed model from a changed engine.
func HashModel(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("hash model: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".safetensors") || n == "model.safetensors.index.json" ||
			slices.Contains(identityFiles, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "", fmt.Errorf("hash model: no model files in %s", dir)
	}

	h := sha256.New()
	for _, n := range names {
		if err := hashFile(h, filepath.Join(dir, n), n); err != nil {
			return "", fmt.Errorf("hash model: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var size [8]byte
	binary.LittleEndian.PutUint64(size[:], uint64(st.Size()))
	io.WriteString(h, name)
	h.Write([]byte{0})
	h.Write(size[:])
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != st.Size() {
		return fmt.Errorf("%s changed while it was read", path)
	}
	return nil
}
