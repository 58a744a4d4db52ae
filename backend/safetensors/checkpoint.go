package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// IndexFile and SingleFile are the checkpoint file names OpenDir looks for.
const (
	IndexFile  = "model.safetensors.index.json"
	SingleFile = "model.safetensors"
)

// Checkpoint is the set of safetensors files of one model directory.
type Checkpoint struct {
	dir    string
	files  []*File                // sorted by file name
	byName map[string]tensorEntry // every tensor of every file
	names  []string               // sorted
}

// tensorEntry locates a tensor of the checkpoint.
type tensorEntry struct {
	file   int // index into files
	tensor Tensor
}

// shardIndex is model.safetensors.index.json; only weight_map matters.
type shardIndex struct {
	WeightMap map[string]string `json:"weight_map"`
}

// OpenDir opens the checkpoint in dir: the shards listed by
// model.safetensors.index.json when present, else model.safetensors, else
// every model*.safetensors file (as mlx-lm globs them). A tensor held by two
// files, or listed by the index but missing from its shard, is an error.
func OpenDir(dir string) (*Checkpoint, error) {
	files, weightMap, err := checkpointFiles(dir)
	if err != nil {
		return nil, err
	}

	c := &Checkpoint{dir: dir, byName: make(map[string]tensorEntry)}
	for _, name := range files {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			c.Close()
			return nil, err
		}
		c.files = append(c.files, f)
		for _, t := range f.Tensors() {
			if prev, dup := c.byName[t.Name]; dup {
				err := &FormatError{File: f.Path(), Tensor: t.Name, Problem: fmt.Sprintf(
					"also present in %s", c.files[prev.file].Path())}
				c.Close()
				return nil, err
			}
			c.byName[t.Name] = tensorEntry{file: len(c.files) - 1, tensor: t}
		}
	}

	// Every tensor the index promises must be in the shard it names.
	for name, shard := range weightMap {
		e, ok := c.byName[name]
		if !ok || filepath.Base(c.files[e.file].Path()) != shard {
			c.Close()
			return nil, &FormatError{File: filepath.Join(dir, IndexFile), Tensor: name,
				Problem: fmt.Sprintf("listed in weight_map but not found in %s", shard)}
		}
	}

	for name := range c.byName {
		c.names = append(c.names, name)
	}
	slices.Sort(c.names)
	return c, nil
}

// checkpointFiles lists the safetensors file names of dir, and the weight map
// when an index exists.
func checkpointFiles(dir string) ([]string, map[string]string, error) {
	indexPath := filepath.Join(dir, IndexFile)
	raw, err := os.ReadFile(indexPath)
	switch {
	case err == nil:
		return parseIndex(indexPath, raw)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("read index: %w", err)
	}

	if _, err := os.Stat(filepath.Join(dir, SingleFile)); err == nil {
		return []string{SingleFile}, nil, nil
	}
	matches, err := filepath.Glob(filepath.Join(dir, "model*.safetensors"))
	if err != nil {
		return nil, nil, fmt.Errorf("list shards: %w", err)
	}
	if len(matches) == 0 {
		return nil, nil, fmt.Errorf("no %s, %s or model*.safetensors in %s: %w",
			IndexFile, SingleFile, dir, fs.ErrNotExist)
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = filepath.Base(m)
	}
	slices.Sort(names)
	return names, nil, nil
}

// parseIndex reads the shard file names from an index, refusing names that
// would leave the directory.
func parseIndex(path string, raw []byte) ([]string, map[string]string, error) {
	var idx shardIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, nil, &FormatError{File: path, Problem: fmt.Sprintf("not valid JSON: %v", err)}
	}
	if len(idx.WeightMap) == 0 {
		return nil, nil, &FormatError{File: path, Problem: "weight_map is missing or empty"}
	}
	var names []string
	for tensor, shard := range idx.WeightMap {
		if shard == "" || shard == "." || shard == ".." || filepath.Base(shard) != shard ||
			filepath.IsAbs(shard) {
			return nil, nil, &FormatError{File: path, Tensor: tensor, Problem: fmt.Sprintf(
				"shard %q must be a file name in the checkpoint directory", shard)}
		}
		if !slices.Contains(names, shard) {
			names = append(names, shard)
		}
	}
	slices.Sort(names)
	return names, idx.WeightMap, nil
}

// Dir returns the directory the checkpoint was opened from.
func (c *Checkpoint) Dir() string { return c.dir }

// Tensor returns the named tensor; the error names the tensor and the directory
// and wraps ErrTensorNotFound.
func (c *Checkpoint) Tensor(name string) (Tensor, error) {
	e, ok := c.byName[name]
	if !ok {
		return Tensor{}, fmt.Errorf("tensor %q in %s: %w", name, c.dir, ErrTensorNotFound)
	}
	return e.tensor, nil
}

// Has reports whether the checkpoint holds the named tensor.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.byName[name]
	return ok
}

// Names returns every tensor name, sorted.
func (c *Checkpoint) Names() []string { return c.names }

// Metadata returns the __metadata__ of the first file (shards carry the same).
func (c *Checkpoint) Metadata() map[string]string {
	if len(c.files) == 0 {
		return nil
	}
	return c.files[0].Metadata()
}

// Close unmaps every file. Tensors obtained from the checkpoint must not be
// used after.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	c.files, c.byName, c.names = nil, nil, nil
	return errors.Join(errs...)
}
