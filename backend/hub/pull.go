package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// maxConfigBytes bounds config.json, read into memory before anything is written.
const maxConfigBytes = 4 << 20

// diskReserve is kept free beyond the download itself, so a pull does not leave the
// disk completely full for the rest of the system.
const diskReserve = 64 << 20

// Ensure returns the model ref names, downloading it first when it is not complete on
// disk. It is what the lab and `knobs generate` call with a repo id.
func (c *Client) Ensure(ctx context.Context, ref string, progress func(Progress)) (Local, error) {
	l, err := c.Resolve(ctx, ref)
	if err == nil && l.Complete {
		return l, nil
	}
	var he *Error
	if err != nil && (!errors.As(err, &he) || he.Code != CodeNotDownloaded) {
		return Local{}, err
	}
	if err == nil && l.Repo == "" {
		return l, &Error{Code: CodeUnsupported, Msg: "model directory " + l.Path +
			" is not a complete checkpoint: " + l.Problem}
	}
	return c.Pull(ctx, ref, progress)
}

// Pull downloads what a checkpoint needs into the cache and returns its snapshot:
// config.json is checked (architecture, quantization) before any weight is fetched;
// every file is verified against the Hub's metadata; an interrupted pull resumes. A
// reference to a local directory is returned as is. progress, if not nil, is called
// from the pulling goroutine, at most once per Options.ProgressInterval per file plus
// once at each file's start and end; it must return quickly.
func (c *Client) Pull(ctx context.Context, ref string, progress func(Progress)) (Local, error) {
	r, err := ParseRef(ref)
	if err != nil {
		return Local{}, err
	}
	if r.Dir != "" {
		return inspectDir(r.Dir)
	}
	if c.opts.Offline {
		return c.pullOffline(r)
	}
	l, err := c.pull(ctx, r, newProgressMeter(progress, c.opts.ProgressInterval))
	return l, scrubError(err, c.opts.Token)
}

// pullOffline serves a pull from the cache when HF_HUB_OFFLINE forbids the network.
func (c *Client) pullOffline(r Ref) (Local, error) {
	l, err := c.resolveCached(r)
	if err == nil && l.Complete {
		return l, nil
	}
	return Local{}, &Error{Code: CodeOffline, Repo: r.Repo, Msg: "offline mode is on " +
		"(HF_HUB_OFFLINE) and " + r.String() + " is not fully downloaded",
		Hint: "Unset HF_HUB_OFFLINE and run the pull again while online."}
}

func (c *Client) pull(ctx context.Context, r Ref, pm *progressMeter) (Local, error) {
	// Ask for the commit and the listing; pick and check the files.
	pm.update(true, func(p *Progress) { p.Repo, p.Phase, p.ETA = r.Repo, PhaseResolving, -1 })
	info, err := c.fetchModelInfo(ctx, r)
	if err != nil {
		return Local{}, err
	}
	files, err := selectFiles(r.Repo, info)
	if err != nil {
		return Local{}, err
	}
	commit := info.SHA
	for _, f := range files {
		if err := c.checkMeta(ctx, r.Repo, commit, f); err != nil {
			return Local{}, err
		}
	}

	// Check config.json before anything is written, then the free space.
	if err := c.fetchConfig(ctx, r.Repo, commit, files[0], pm); err != nil {
		return Local{}, err
	}
	if err := c.checkSpace(r.Repo, commit, files); err != nil {
		return Local{}, err
	}

	// Fetch the files in order, config.json first.
	var total int64
	for _, f := range files {
		total += f.Size
	}
	pm.update(true, func(p *Progress) {
		p.Revision, p.Phase, p.Total, p.FileCount = commit, PhaseDownloading, total, len(files)
	})
	for i, f := range files {
		pm.update(true, func(p *Progress) {
			p.File, p.FileIndex, p.FileDone, p.FileTotal, p.Retry = f.Name, i+1, 0, f.Size, 0
		})
		if err := c.fetchFile(ctx, r.Repo, commit, f, pm); err != nil {
			return Local{}, err
		}
		pm.update(true, func(p *Progress) { p.FileDone = f.Size })
	}

	// Record the ref, then report the snapshot.
	if r.Revision != commit {
		if err := c.writeRef(r.Repo, r.Revision, commit); err != nil {
			return Local{}, err
		}
	}
	l, err := c.resolveCached(Ref{Repo: r.Repo, Revision: commit})
	if err != nil {
		return Local{}, err
	}
	if !l.Complete {
		return l, &Error{Code: CodeUnsupported, Repo: r.Repo,
			Msg: "downloaded " + r.String() + " but it is not a complete checkpoint: " + l.Problem}
	}
	pm.update(true, func(p *Progress) { p.Phase, p.File, p.ETA = PhaseDone, "", 0 })
	return l, nil
}

// selectFiles picks the files Knobs needs from the listing, config.json first, after
// checking every listed name. It fails early for a repository without config.json,
// tokenizer.json or safetensors weights.
func selectFiles(repo string, info *modelInfo) ([]*remoteFile, error) {
	var files []*remoteFile
	for _, s := range info.Siblings {
		if err := validateFileName(s.Name); err != nil {
			return nil, &Error{Code: CodeBadResponse, Repo: repo, Msg: "the Hub listed an " +
				"unsafe file name in " + repo, Err: err}
		}
		if !neededFile(s.Name) {
			continue
		}
		f := &remoteFile{Name: s.Name, BlobID: s.BlobID, Size: -1}
		if s.Size != nil {
			f.Size = *s.Size
		}
		if s.LFS != nil {
			f.SHA256, f.Size = s.LFS.SHA256, s.LFS.Size
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b *remoteFile) int {
		switch {
		case a.Name == configFile:
			return -1
		case b.Name == configFile:
			return 1
		}
		return compareStrings(a.Name, b.Name)
	})
	has := func(pred func(string) bool) bool {
		return slices.ContainsFunc(files, func(f *remoteFile) bool { return pred(f.Name) })
	}
	switch {
	case !has(func(n string) bool { return n == configFile }):
		return nil, unsupportedRepo(repo, "it has no config.json")
	case !has(func(n string) bool { return filepath.Ext(n) == safetensorsExt }):
		return nil, unsupportedRepo(repo, "it has no model*.safetensors weights")
	case !has(func(n string) bool { return n == tokenizerFile }):
		return nil, unsupportedRepo(repo, "it has no tokenizer.json")
	}
	return files, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func unsupportedRepo(repo, why string) *Error {
	return &Error{Code: CodeUnsupported, Repo: repo,
		Msg: repo + " is not an MLX checkpoint Knobs can load: " + why}
}

// checkMeta HEADs one file and checks that the answer agrees with the listing: same
// commit, same size, and an ETag equal to the LFS sha256 or the git blob id.
func (c *Client) checkMeta(ctx context.Context, repo, commit string, f *remoteFile) error {
	m, err := c.headFile(ctx, repo, commit, f.Name)
	if err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return &Error{Code: CodeBadResponse, Repo: repo, File: f.Name,
			Msg: fmt.Sprintf("metadata of %s/%s disagrees with the listing: ", repo, f.Name) +
				fmt.Sprintf(format, args...)}
	}
	switch {
	case m.Commit != commit:
		return bad("commit %s, expected %s", m.Commit, commit)
	case f.Size >= 0 && m.Size != f.Size:
		return bad("size %d, listed %d", m.Size, f.Size)
	case f.SHA256 != "" && m.Etag != f.SHA256:
		return bad("ETag %s, LFS sha256 %s", m.Etag, f.SHA256)
	case f.SHA256 == "" && (len(m.Etag) != 40 || (f.BlobID != "" && m.Etag != f.BlobID)):
		return bad("ETag %s, git blob id %s", m.Etag, f.BlobID)
	}
	f.Size, f.meta = m.Size, m
	return nil
}

// fetchConfig reads config.json into memory, checks it, and only then stores it as a
// blob of the snapshot, so an unsupported model leaves nothing in the cache.
func (c *Client) fetchConfig(ctx context.Context, repo, commit string, f *remoteFile,
	pm *progressMeter) error {
	p := c.pathsFor(repo, commit, f)
	if data, err := os.ReadFile(p.blob); err == nil && int64(len(data)) == f.Size {
		return CheckConfig(data)
	}
	if f.Size > maxConfigBytes {
		return unsupportedRepo(repo, fmt.Sprintf("config.json is %d bytes", f.Size))
	}
	var data []byte
	err := c.withRetry(ctx, repo, func(int) (time.Duration, error) {
		var after time.Duration
		var err error
		data, after, err = c.getSmall(ctx, repo, f)
		return after, err
	})
	if err != nil {
		return err
	}
	h := newVerifier(f)
	h.Write(data)
	if err := h.check(int64(len(data))); err != nil {
		return &Error{Code: CodeChecksum, Repo: repo, File: f.Name,
			Msg: repo + "/" + f.Name + " failed verification", Err: err}
	}
	if err := CheckConfig(data); err != nil {
		var he *Error
		if errors.As(err, &he) {
			he.Repo = repo
		}
		return err
	}
	unlock, err := lockFile(ctx, p.lock)
	if err != nil {
		if isCancel(ctx, err) {
			return cancelled(repo, ctx.Err())
		}
		return c.fsError(repo, "lock "+p.lock, err)
	}
	defer unlock()
	return c.writeBlob(repo, p, data)
}

// getSmall GETs a small file whole, bounded by its announced size.
func (c *Client) getSmall(ctx context.Context, repo string, f *remoteFile) (
	[]byte, time.Duration, error) {
	sctx, cancel := context.WithTimeout(ctx, c.opts.StallTimeout)
	defer cancel()
	resp, err := c.do(sctx, http.MethodGet, f.meta.URL, nil, false)
	if err != nil {
		if isCancel(ctx, err) {
			return nil, 0, err
		}
		return nil, 0, &Error{Code: CodeServerError, Repo: repo, File: f.Name,
			Msg: "download of " + f.Name + " failed", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, retryAfter(resp), c.statusError(resp, repo, f.Name)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.Size+1))
	if err != nil {
		if isCancel(ctx, err) {
			return nil, 0, err
		}
		return nil, 0, &Error{Code: CodeServerError, Repo: repo, File: f.Name,
			Msg: "download of " + f.Name + " interrupted", Err: redactTransportError(err)}
	}
	return data, 0, nil
}

// writeBlob stores data as a blob (through a temporary file and a rename) and links it. The
// caller holds the blob's lock.
func (c *Client) writeBlob(repo string, p blobPaths, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p.blob), 0o755); err != nil {
		return c.fsError(repo, "create "+filepath.Dir(p.blob), err)
	}
	if fi, err := os.Stat(p.blob); err == nil && fi.Size() == int64(len(data)) {
		return c.link(repo, p)
	}
	if err := writeFileAtomic(p.blob, data); err != nil {
		return c.fsError(repo, "write "+p.blob, err)
	}
	return c.link(repo, p)
}

// writeFileAtomic writes data to a temporary file next to dst (a unique name, so that
// concurrent writers never share it), syncs it and renames it to dst.
func writeFileAtomic(dst string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return err
	}
	_, err = io.Copy(f, bytes.NewReader(data))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// writeRef records in refs/<revision> the commit a branch or tag points to, without a
// trailing newline as huggingface_hub writes it.
func (c *Client) writeRef(repo, revision, commit string) error {
	path := filepath.Join(c.repoDir(repo), "refs", filepath.FromSlash(revision))
	if data, err := os.ReadFile(path); err == nil && string(data) == commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return c.fsError(repo, "create "+filepath.Dir(path), err)
	}
	if err := writeFileAtomic(path, []byte(commit)); err != nil {
		return c.fsError(repo, "write "+path, err)
	}
	return nil
}

// checkSpace fails with disk_full when the bytes still to fetch (the missing blobs minus
// what their .incomplete files hold) exceed the free space of the cache's file system.
func (c *Client) checkSpace(repo, commit string, files []*remoteFile) error {
	var need int64
	for _, f := range files {
		p := c.pathsFor(repo, commit, f)
		if fi, err := os.Stat(p.blob); err == nil && fi.Size() == f.Size {
			continue
		}
		need += f.Size
		if fi, err := os.Stat(p.incomplete); err == nil && fi.Size() <= f.Size {
			need -= fi.Size()
		}
	}
	if need == 0 {
		return nil
	}
	dir := c.opts.CacheDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c.fsError(repo, "create "+dir, err)
	}
	free, err := c.diskFree(dir)
	if err != nil {
		return nil // unknown: the writes themselves will report ENOSPC
	}
	if free < need+diskReserve {
		return &Error{Code: CodeDiskFull, Repo: repo, Msg: fmt.Sprintf("not enough disk space "+
			"for %s: it needs %s more, %s is free in %s", repo, formatBytes(need+diskReserve),
			formatBytes(free), dir)}
	}
	return nil
}

// formatBytes renders n with a binary unit, e.g. "695.3 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// FormatBytes renders a byte count for people, e.g. "695.3 MiB".
func FormatBytes(n int64) string { return formatBytes(n) }
