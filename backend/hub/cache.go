package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The Hugging Face cache layout (huggingface_hub's file_download.py), for a repo id
// "org/name" under the cache directory:
//
//	models--org--name/
//	  blobs/<etag>              file contents, named by the ETag: the sha256 of an LFS
//	                            file, the git blob sha1 of a small one
//	  blobs/<etag>.incomplete   a transfer in progress (resumed with HTTP Range)
//	  refs/<revision>           the commit hash a branch or tag pointed to, no newline
//	  snapshots/<commit>/<file> relative symlink to ../../blobs/<etag>, or a copy of the
//	                            blob where the file system has no symlinks
//	.locks/models--org--name/<etag>.lock   guards one blob's download
const (
	repoPrefix      = "models--"
	repoSep         = "--"
	incompleteExt   = ".incomplete"
	locksDir        = ".locks"
	configFile      = "config.json"
	tokenizerFile   = "tokenizer.json"
	safetensorsIdx  = "model.safetensors.index.json"
	safetensorsExt  = ".safetensors"
	weightFilesGlob = "model*.safetensors" // mlx-lm loads glob("model*.safetensors")
)

// Local is a model on disk: a snapshot in the hub cache or a plain directory.
type Local struct {
	// Repo is the repository id, or "" for a local directory.
	Repo string `json:"repo,omitempty"`
	// Revision is the commit hash of the snapshot, or "" for a local directory.
	Revision string `json:"revision,omitempty"`
	// Refs are the branch or tag names that point to this snapshot (refs/ in the cache).
	Refs []string `json:"refs,omitempty"`
	// Path is the directory to load: snapshots/<commit> or the local directory.
	Path string `json:"path"`
	// Size is the total size in bytes of the files in Path (following symlinks).
	Size int64 `json:"size"`
	// Complete reports that Path holds a whole checkpoint Knobs can load: config.json
	// (with a supported architecture and quantization), tokenizer.json and every
	// safetensors file the index names.
	Complete bool `json:"complete"`
	// Problem says why Complete is false.
	Problem string `json:"problem,omitempty"`
}

// Name is the repo id, or the directory for a local model.
func (l Local) Name() string {
	if l.Repo != "" {
		return l.Repo
	}
	return l.Path
}

// repoDir is the cache directory of a repository.
func (c *Client) repoDir(repo string) string {
	return filepath.Join(c.opts.CacheDir, repoFolderName(repo))
}

// repoFolderName is huggingface_hub's repo_folder_name for a model repository.
func repoFolderName(repo string) string {
	return repoPrefix + strings.ReplaceAll(repo, "/", repoSep)
}

// Resolve finds ref on disk without touching the network: a local directory as is, or
// the cached snapshot a Hub reference points to (the commit itself, or the commit that
// refs/<revision> records). The returned Local may be incomplete; check Complete.
// A reference that is not on disk gives an *Error with code model_not_downloaded (or
// model_not_found for a missing directory).
func (c *Client) Resolve(ctx context.Context, ref string) (Local, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return Local{}, err
	}
	if r.Dir != "" {
		return inspectDir(r.Dir)
	}
	return c.resolveCached(r)
}

func (c *Client) resolveCached(r Ref) (Local, error) {
	commit := r.Revision
	if !commitRE.MatchString(commit) {
		data, err := os.ReadFile(filepath.Join(c.repoDir(r.Repo), "refs",
			filepath.FromSlash(r.Revision)))
		if err != nil {
			return Local{}, notDownloaded(r)
		}
		commit = strings.TrimSpace(string(data))
		if !commitRE.MatchString(commit) {
			return Local{}, notDownloaded(r)
		}
	}
	snap := filepath.Join(c.repoDir(r.Repo), "snapshots", commit)
	if !isDir(snap) {
		return Local{}, notDownloaded(r)
	}
	l := inspectSnapshot(snap)
	l.Repo, l.Revision = r.Repo, commit
	l.Refs = c.refsTo(r.Repo, commit)
	return l, nil
}

func notDownloaded(r Ref) *Error {
	return &Error{Code: CodeNotDownloaded, Repo: r.Repo,
		Msg: "model " + r.String() + " is not downloaded"}
}

func inspectDir(dir string) (Local, error) {
	if !isDir(dir) {
		return Local{}, &Error{Code: CodeNotFound, Msg: "model directory " + dir +
			" does not exist", Hint: "Check the path, or give a Hub repository id instead."}
	}
	return inspectSnapshot(dir), nil
}

// inspectSnapshot sizes a model directory and checks that it is complete.
func inspectSnapshot(dir string) Local {
	l := Local{Path: dir}
	l.Size = dirSize(dir)
	l.Problem = checkComplete(dir)
	l.Complete = l.Problem == ""
	return l
}

// dirSize sums the sizes of the regular files under dir, following symlinks to blobs.
// A dangling link counts zero (checkComplete reports it).
func dirSize(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	return total
}

// checkComplete returns "" when dir holds a loadable checkpoint, else what is missing.
func checkComplete(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, configFile))
	if err != nil {
		return "no readable config.json"
	}
	if err := CheckConfig(data); err != nil {
		var he *Error
		if errors.As(err, &he) {
			return he.Msg
		}
		return err.Error()
	}
	if !isRegularFile(filepath.Join(dir, tokenizerFile)) {
		return "no tokenizer.json"
	}
	weights, err := expectedWeights(dir)
	if err != nil {
		return err.Error()
	}
	if len(weights) == 0 {
		return "no model*.safetensors weights"
	}
	for _, w := range weights {
		if !isRegularFile(filepath.Join(dir, w)) {
			return "missing weight file " + w
		}
	}
	return ""
}

// expectedWeights lists the safetensors files a checkpoint in dir needs: the shards the
// index names, or the model*.safetensors files present when there is no index.
func expectedWeights(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, safetensorsIdx))
	if errors.Is(err, fs.ErrNotExist) {
		matches, _ := filepath.Glob(filepath.Join(dir, weightFilesGlob))
		names := make([]string, 0, len(matches))
		for _, m := range matches {
			names = append(names, filepath.Base(m))
		}
		return names, nil
	}
	if err != nil {
		return nil, err
	}
	shards, err := indexShards(data)
	if err != nil {
		return nil, err
	}
	return shards, nil
}

// indexShards returns the distinct file names of a safetensors index's weight_map,
// each checked to be a plain file name.
func indexShards(data []byte) ([]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, errors.New("unreadable " + safetensorsIdx + ": " + err.Error())
	}
	seen := map[string]bool{}
	var shards []string
	for _, f := range idx.WeightMap {
		if seen[f] {
			continue
		}
		if err := validateFileName(f); err != nil || strings.Contains(f, "/") {
			return nil, errors.New(safetensorsIdx + " names an unsafe shard " + quoteShort(f))
		}
		seen[f] = true
		shards = append(shards, f)
	}
	sort.Strings(shards)
	return shards, nil
}

func isRegularFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// refsTo lists the refs of repo that record commit.
func (c *Client) refsTo(repo, commit string) []string {
	root := filepath.Join(c.repoDir(repo), "refs")
	var refs []string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.TrimSpace(string(data)) == commit {
			rel, _ := filepath.Rel(root, path)
			refs = append(refs, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(refs)
	return refs
}

// List returns every model snapshot in the cache (one Local per repo and commit) and the
// directories of Options.LocalDirs, sorted by name. Repositories that are not models
// (datasets--, spaces--) are skipped.
func (c *Client) List() ([]Local, error) {
	var out []Local
	entries, err := os.ReadDir(c.opts.CacheDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Code: CodeNotFound, Msg: "read hub cache " + c.opts.CacheDir,
			Err: err}
	}
	for _, e := range entries {
		repo, ok := repoFromFolder(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		snaps, _ := os.ReadDir(filepath.Join(c.opts.CacheDir, e.Name(), "snapshots"))
		for _, s := range snaps {
			if !s.IsDir() || !commitRE.MatchString(s.Name()) {
				continue
			}
			l := inspectSnapshot(filepath.Join(c.opts.CacheDir, e.Name(), "snapshots", s.Name()))
			l.Repo, l.Revision = repo, s.Name()
			l.Refs = c.refsTo(repo, s.Name())
			out = append(out, l)
		}
	}
	for _, d := range c.opts.LocalDirs {
		if l, err := inspectDir(d); err == nil {
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name() != out[j].Name() {
			return out[i].Name() < out[j].Name()
		}
		return out[i].Revision < out[j].Revision
	})
	return out, nil
}

// repoFromFolder inverts repoFolderName; ok is false for other folders.
func repoFromFolder(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, repoPrefix)
	if !ok || rest == "" {
		return "", false
	}
	repo := strings.Replace(rest, repoSep, "/", 1)
	return repo, validateRepoID(repo) == nil
}

// Remove deletes a model from the cache. "org/name" removes the whole repository
// (blobs, refs, snapshots and its lock files); "org/name@rev" removes that snapshot,
// the refs pointing to it and the blobs no other snapshot uses. Local directories are
// never deleted.
func (c *Client) Remove(ref string) error {
	r, err := ParseRef(ref)
	if err != nil {
		return err
	}
	if r.Dir != "" {
		return &Error{Code: CodeInvalidRef, Msg: "refusing to delete the local directory " +
			r.Dir, Hint: "Knobs only removes models from the Hugging Face cache; delete " +
			"your own directories yourself."}
	}
	dir := c.repoDir(r.Repo)
	if !isDir(dir) {
		return notDownloaded(r)
	}
	if !strings.Contains(ref, "@") {
		if err := os.RemoveAll(dir); err != nil {
			return &Error{Code: CodeNotFound, Repo: r.Repo, Msg: "remove " + dir, Err: err}
		}
		_ = os.RemoveAll(filepath.Join(c.opts.CacheDir, locksDir, repoFolderName(r.Repo)))
		return nil
	}
	return c.removeSnapshot(r)
}

// removeSnapshot deletes one snapshot and the blobs only it referenced.
func (c *Client) removeSnapshot(r Ref) error {
	l, err := c.resolveCached(r)
	if err != nil {
		return err
	}
	dir := c.repoDir(r.Repo)
	used := map[string]bool{}
	snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	for _, s := range snaps {
		if s.Name() == l.Revision {
			continue
		}
		for b := range snapshotBlobs(filepath.Join(dir, "snapshots", s.Name())) {
			used[b] = true
		}
	}
	doomed := snapshotBlobs(l.Path)
	if err := os.RemoveAll(l.Path); err != nil {
		return &Error{Code: CodeNotFound, Repo: r.Repo, Msg: "remove " + l.Path, Err: err}
	}
	for b := range doomed {
		if !used[b] {
			_ = os.Remove(filepath.Join(dir, "blobs", b))
		}
	}
	for _, ref := range l.Refs {
		_ = os.Remove(filepath.Join(dir, "refs", filepath.FromSlash(ref)))
	}
	return nil
}

// snapshotBlobs returns the blob names the symlinks under snap point to. A snapshot of
// copies (a cache without symlinks) names none, so removing it leaves its blobs; removing
// the whole repository frees them.
func snapshotBlobs(snap string) map[string]bool {
	blobs := map[string]bool{}
	_ = filepath.WalkDir(snap, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if target, err := os.Readlink(path); err == nil {
			blobs[filepath.Base(target)] = true
		}
		return nil
	})
	return blobs
}
