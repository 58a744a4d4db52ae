package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// PresetFileFormat and PresetFileVersion identify the preset exchange file described
// in docs/presets-format.md.
const (
	PresetFileFormat  = "knobs-presets"
	PresetFileVersion = 1
)

// maxPresetFileBytes bounds an import; a file of presets is a few kilobytes.
const maxPresetFileBytes = 4 << 20

// PresetFile is the exchange file.
type PresetFile struct {
	Format  string       `json:"format"`
	Version int          `json:"version"`
	Presets []FilePreset `json:"presets"`
}

// FilePreset is one preset in the exchange file.
type FilePreset struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Favourite   bool   `json:"favourite,omitempty"`
	Regime      Regime `json:"regime"`
}

// ExportPresets writes the user presets (or, when names is not empty, the named
// presets, built-ins included) to path atomically.
func (s *Store) ExportPresets(path string, names []string) (int, error) {
	var chosen []Preset
	if len(names) == 0 {
		all, err := s.Presets(true)
		if err != nil {
			return 0, err
		}
		for _, p := range all {
			if p.Builtin == "" {
				chosen = append(chosen, p)
			}
		}
	}
	for _, n := range names {
		p, err := s.PresetByName(n)
		if err != nil {
			return 0, err
		}
		chosen = append(chosen, p)
	}

	f := PresetFile{Format: PresetFileFormat, Version: PresetFileVersion, Presets: []FilePreset{}}
	for _, p := range chosen {
		r := p.Regime
		r.Name = ""
		f.Presets = append(f.Presets, FilePreset{
			Name: p.Name, Description: p.Description, Favourite: p.Favourite, Regime: r,
		})
	}
	doc, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return 0, err
	}
	if err := writeFileAtomic(path, append(doc, '\n'), 0o644); err != nil {
		return 0, fmt.Errorf("export presets: %w", err)
	}
	return len(f.Presets), nil
}

// ImportResult says what an import did.
type ImportResult struct {
	// Added are the names of the new presets, in file order.
	Added []string `json:"added"`
	// Renamed maps a name from the file to the name it was saved under because a
	// preset of that name already existed.
	Renamed map[string]string `json:"renamed,omitempty"`
}

// ImportPresets reads a preset file and adds its presets as user presets. The whole file
// is checked first (format, version, known fields only, valid knobs); any problem
// rejects the file and changes nothing. Names already in use get " (imported)" added.
func (s *Store) ImportPresets(path string) (ImportResult, error) {
	f, err := ReadPresetFile(path)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Added: []string{}, Renamed: map[string]string{}}

	tx, err := s.db.Begin()
	if err != nil {
		return res, fmt.Errorf("import presets: %w", err)
	}
	defer tx.Rollback()
	taken := map[string]bool{}
	for _, fp := range f.Presets {
		name, err := s.importName(tx, fp.Name, taken)
		if err != nil {
			return ImportResult{}, err
		}
		taken[foldName(name)] = true
		regime, err := json.Marshal(fp.Regime)
		if err != nil {
			return ImportResult{}, err
		}
		_, err = s.insertPreset(tx, name, fp.Description, string(regime), fp.Favourite)
		if err != nil {
			return ImportResult{}, err
		}
		res.Added = append(res.Added, name)
		if name != fp.Name {
			res.Renamed[fp.Name] = name
		}
	}
	if err := tx.Commit(); err != nil {
		return ImportResult{}, fmt.Errorf("import presets: %w", err)
	}
	return res, nil
}

// importName picks the name an imported preset is saved under.
func (s *Store) importName(tx execer, name string, taken map[string]bool) (string, error) {
	candidate := name
	for n := 1; ; n++ {
		var count int
		err := tx.QueryRow(`SELECT COUNT(*) FROM presets WHERE name = ? COLLATE NOCASE`,
			candidate).Scan(&count)
		if err != nil {
			return "", fmt.Errorf("import presets: %w", err)
		}
		if count == 0 && !taken[foldName(candidate)] {
			return candidate, nil
		}
		if n == 1 {
			candidate = name + " (imported)"
		} else {
			candidate = fmt.Sprintf("%s (imported %d)", name, n)
		}
	}
}

// ReadPresetFile reads and checks a preset exchange file without importing it.
func ReadPresetFile(path string) (*PresetFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &Error{Code: CodePresetFile, Message: "cannot read the preset file", Err: err}
	}
	defer fh.Close()
	doc, err := io.ReadAll(io.LimitReader(fh, maxPresetFileBytes+1))
	if err != nil {
		return nil, &Error{Code: CodePresetFile, Message: "cannot read the preset file", Err: err}
	}
	if len(doc) > maxPresetFileBytes {
		return nil, fileError(path, "it is larger than %d bytes", maxPresetFileBytes)
	}
	return ParsePresetFile(path, doc)
}

// ParsePresetFile checks the contents of a preset file; path only labels errors.
func ParsePresetFile(path string, doc []byte) (*PresetFile, error) {
	// Look at the version first, so that a newer file gets the right message instead of
	// a complaint about fields this version does not know.
	var head struct {
		Format  string `json:"format"`
		Version *int   `json:"version"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		return nil, fileError(path, "it is not valid JSON (%v)", err)
	}
	switch {
	case head.Format != PresetFileFormat:
		return nil, fileError(path, "\"format\" must be %q, got %q", PresetFileFormat, head.Format)
	case head.Version == nil:
		return nil, fileError(path, "it has no \"version\" field")
	case *head.Version > PresetFileVersion:
		return nil, fileError(path, "it has version %d, written by a newer Knobs; this "+
			"version reads version %d; update Knobs to import it", *head.Version, PresetFileVersion)
	case *head.Version != PresetFileVersion:
		return nil, fileError(path, "\"version\" must be %d, got %d",
			PresetFileVersion, *head.Version)
	}

	var f PresetFile
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fileError(path, "%v", err)
	}
	if dec.More() {
		return nil, fileError(path, "it has data after the JSON object")
	}
	seen := map[string]bool{}
	for i, p := range f.Presets {
		if err := validName("preset name", p.Name, false); err != nil {
			return nil, fileError(path, "preset %d: %v", i+1, err)
		}
		if seen[foldName(p.Name)] {
			return nil, fileError(path, "preset %d: the name %q appears twice", i+1, p.Name)
		}
		seen[foldName(p.Name)] = true
		if p.Regime.Name != "" {
			return nil, fileError(path, "preset %q: the regime must not have a \"name\"", p.Name)
		}
		if err := p.Regime.Validate(); err != nil {
			return nil, fileError(path, "preset %q: %v", p.Name, err)
		}
	}
	return &f, nil
}

func fileError(path, format string, args ...any) error {
	return &Error{Code: CodePresetFile, Message: fmt.Sprintf("the preset file %s cannot be "+
		"imported: %s", filepath.Base(path), fmt.Sprintf(format, args...))}
}

// foldName is the key under which names compare (SQLite's NOCASE folds ASCII only).
func foldName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// writeFileAtomic writes data to a temporary file in path's directory, syncs it and
// renames it over path, so a crash leaves either the old or the new file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Sync the directory so the rename itself survives a power cut.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
