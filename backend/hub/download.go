package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// copyBufSize is the size of one read from the network into the .incomplete file.
const copyBufSize = 256 << 10

// remoteFile is one file a pull needs, with what the listing and the HEAD said about it.
type remoteFile struct {
	Name string
	Size int64
	// SHA256 is the LFS hash from the listing, "" for a file stored in git.
	SHA256 string
	// BlobID is the git blob id from the listing.
	BlobID string
	meta   fileMeta
}

// blobPaths are the cache paths of one file of one snapshot.
type blobPaths struct {
	blob, incomplete, pointer, lock string
}

func (c *Client) pathsFor(repo, commit string, f *remoteFile) blobPaths {
	dir := c.repoDir(repo)
	blob := filepath.Join(dir, "blobs", f.meta.Etag)
	return blobPaths{
		blob:       blob,
		incomplete: blob + incompleteExt,
		pointer:    filepath.Join(dir, "snapshots", commit, filepath.FromSlash(f.Name)),
		lock: filepath.Join(c.opts.CacheDir, locksDir, repoFolderName(repo),
			f.meta.Etag+".lock"),
	}
}

// fetchFile makes snapshots/<commit>/<name> point to a verified blob, downloading the
// blob (or the rest of it) when it is not in the cache.
func (c *Client) fetchFile(ctx context.Context, repo, commit string, f *remoteFile,
	pm *progressMeter) error {
	p := c.pathsFor(repo, commit, f)
	if err := os.MkdirAll(filepath.Dir(p.blob), 0o755); err != nil {
		return c.fsError(repo, "create "+filepath.Dir(p.blob), err)
	}
	unlock, err := lockFile(ctx, p.lock)
	if err != nil {
		if isCancel(ctx, err) {
			return cancelled(repo, ctx.Err())
		}
		return c.fsError(repo, "lock "+p.lock, err)
	}
	defer unlock()

	if fi, err := os.Stat(p.blob); err == nil && fi.Size() == f.Size {
		pm.skip(f.Size)
		return c.link(repo, p)
	}
	if err := c.download(ctx, repo, f, p, pm); err != nil {
		return err
	}
	return c.link(repo, p)
}

// linkSeq makes temporary link names unique within the process.
var linkSeq atomic.Uint64

// link makes the snapshot's file point to the blob: a relative symlink, replacing what
// was there, or a copy of the blob where the file system has no symlinks (FAT, exFAT,
// some network shares). huggingface_hub moves a new blob there instead; copying keeps
// blobs/ the one place that fetchFile and a resumed download look in.
func (c *Client) link(repo string, p blobPaths) error {
	if err := os.MkdirAll(filepath.Dir(p.pointer), 0o755); err != nil {
		return c.fsError(repo, "create "+filepath.Dir(p.pointer), err)
	}
	rel, err := filepath.Rel(filepath.Dir(p.pointer), p.blob)
	if err != nil {
		return c.fsError(repo, "link "+p.pointer, err)
	}
	if cur, err := os.Readlink(p.pointer); err == nil && cur == rel {
		return nil
	}
	if isCopyOf(p.pointer, p.blob) {
		return nil
	}
	tmp := fmt.Sprintf("%s.link-%d-%d", p.pointer, os.Getpid(), linkSeq.Add(1))
	if err := c.symlink(rel, tmp); err != nil {
		if symlinkUnsupported(err) {
			return c.copyBlob(repo, p)
		}
		return c.fsError(repo, "link "+p.pointer, err)
	}
	if err := os.Rename(tmp, p.pointer); err != nil {
		_ = os.Remove(tmp)
		return c.fsError(repo, "link "+p.pointer, err)
	}
	return nil
}

// symlinkUnsupported reports whether a symlink error means the file system does not
// allow symlinks rather than that something is broken: EPERM on FAT and exFAT, and
// ENOTSUP, EOPNOTSUPP or ENOSYS elsewhere (syscall.Errno matches those two sentinels).
// EACCES counts too; the copy that follows then reports the real permission problem.
func symlinkUnsupported(err error) bool {
	return errors.Is(err, errors.ErrUnsupported) || errors.Is(err, fs.ErrPermission)
}

// isCopyOf reports whether pointer is a regular file (not a symlink) of blob's size: the
// copy an earlier pull made on a file system without symlinks. Copies are renamed into
// place whole, and a snapshot's files never change, so the size is enough.
func isCopyOf(pointer, blob string) bool {
	pi, err := os.Lstat(pointer)
	if err != nil || !pi.Mode().IsRegular() {
		return false
	}
	bi, err := os.Stat(blob)
	return err == nil && bi.Size() == pi.Size()
}

// copyBlob writes a copy of the blob at the snapshot path: to a temporary name beside it
// first, synced, then renamed over the path, so a reader never sees part of a file.
func (c *Client) copyBlob(repo string, p blobPaths) error {
	tmp := fmt.Sprintf("%s.copy-%d-%d", p.pointer, os.Getpid(), linkSeq.Add(1))
	if err := copyFile(p.blob, tmp); err != nil {
		_ = os.Remove(tmp)
		return c.fsError(repo, "copy "+p.blob+" to "+p.pointer, err)
	}
	if err := os.Rename(tmp, p.pointer); err != nil {
		_ = os.Remove(tmp)
		return c.fsError(repo, "copy "+p.blob+" to "+p.pointer, err)
	}
	return nil
}

// copyFile copies src to the new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// download transfers a blob into blobs/<etag>.incomplete, resuming from what is there,
// with retries, then verifies its size and hash and renames it into place.
func (c *Client) download(ctx context.Context, repo string, f *remoteFile, p blobPaths,
	pm *progressMeter) error {
	// Resume: the bytes already in .incomplete count as done and seed the hash.
	out, err := os.OpenFile(p.incomplete, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return c.fsError(repo, "open "+p.incomplete, err)
	}
	defer out.Close()
	h := newVerifier(f)
	have, err := rehash(out, h, f.Size)
	if err != nil {
		return c.fsError(repo, "read "+p.incomplete, err)
	}
	if have > 0 {
		pm.skip(have)
		pm.update(true, func(pr *Progress) { pr.FileDone = have })
	}

	// Transfer with retries; each try continues from the current length.
	err = c.withRetry(ctx, repo, func(attempt int) (time.Duration, error) {
		if attempt > 1 {
			pm.update(true, func(pr *Progress) { pr.Retry = attempt - 1 })
		}
		after, n, err := c.transfer(ctx, repo, f, out, h, have, pm)
		have = n
		return after, err
	})
	if err != nil {
		return err
	}

	// Verify, then move into place atomically.
	if err := h.check(have); err != nil {
		_ = os.Remove(p.incomplete)
		pm.unskip(have)
		return &Error{Code: CodeChecksum, Repo: repo, File: f.Name,
			Msg: repo + "/" + f.Name + " failed verification", Err: err}
	}
	if err := out.Sync(); err != nil {
		return c.fsError(repo, "sync "+p.incomplete, err)
	}
	if err := os.Rename(p.incomplete, p.blob); err != nil {
		return c.fsError(repo, "rename "+p.incomplete, err)
	}
	return nil
}

// rehash feeds the existing bytes of a partial file to h and returns their count. A
// partial file longer than the expected size cannot be right and is truncated.
func rehash(out *os.File, h *verifier, size int64) (int64, error) {
	fi, err := out.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() > size {
		if err := out.Truncate(0); err != nil {
			return 0, err
		}
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.Copy(h, out)
	return n, err
}

// transfer runs one GET of the rest of a file (Range: bytes=have-) into out. It returns
// the new length of out. A stall (no byte for StallTimeout, headers included) aborts the
// try with a retryable error.
func (c *Client) transfer(ctx context.Context, repo string, f *remoteFile, out *os.File,
	h *verifier, have int64, pm *progressMeter) (time.Duration, int64, error) {
	if have == f.Size {
		return 0, have, nil
	}
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(c.opts.StallTimeout, func() { cancel(errStalled) })
	defer watchdog.Stop()

	header := http.Header{}
	if have > 0 {
		header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := c.do(tctx, http.MethodGet, f.meta.URL, header, false)
	if err != nil {
		return 0, have, c.transferError(ctx, tctx, repo, f, err)
	}
	defer resp.Body.Close()

	// Position the file: 206 continues, 200 means the server sent everything again.
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if start, total, ok := parseContentRange(resp.Header.Get("Content-Range")); !ok ||
			start != have || total != f.Size {
			return 0, have, &Error{Code: CodeBadResponse, Repo: repo, File: f.Name,
				Msg: "unexpected Content-Range " + quoteShort(resp.Header.Get("Content-Range")) +
					" resuming " + f.Name + " at byte " + strconv.FormatInt(have, 10)}
		}
	case http.StatusOK:
		if err := restart(out, h); err != nil {
			return 0, have, c.fsError(repo, "truncate "+out.Name(), err)
		}
		pm.unskip(have)
		have = 0
	case http.StatusRequestedRangeNotSatisfiable:
		// The server holds fewer bytes than we have: start over.
		_ = restart(out, h)
		pm.unskip(have)
		return 0, 0, &Error{Code: CodeServerError, Repo: repo, File: f.Name,
			Msg: "range not satisfiable resuming " + f.Name}
	default:
		return retryAfter(resp), have, c.statusError(resp, repo, f.Name)
	}
	if _, err := out.Seek(have, io.SeekStart); err != nil {
		return 0, have, c.fsError(repo, "seek "+out.Name(), err)
	}

	// Copy, resetting the watchdog on every read; never accept more than the size.
	buf := make([]byte, copyBufSize)
	body := io.LimitReader(resp.Body, f.Size-have+1)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			watchdog.Reset(c.opts.StallTimeout)
			if have+int64(n) > f.Size {
				return 0, have, &Error{Code: CodeChecksum, Repo: repo, File: f.Name,
					Msg: fmt.Sprintf("%s is larger than the %d bytes the Hub announced",
						f.Name, f.Size)}
			}
			if _, werr := out.Write(buf[:n]); werr != nil {
				return 0, have, c.fsError(repo, "write "+out.Name(), werr)
			}
			h.Write(buf[:n])
			have += int64(n)
			got := int64(n)
			pm.update(false, func(pr *Progress) { pr.Done += got; pr.FileDone += got })
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, have, c.transferError(ctx, tctx, repo, f, rerr)
		}
	}
	if have != f.Size {
		return 0, have, &Error{Code: CodeServerError, Repo: repo, File: f.Name,
			Msg: fmt.Sprintf("transfer of %s ended at byte %d of %d", f.Name, have, f.Size)}
	}
	return 0, have, nil
}

// errStalled is the cause of a transfer the watchdog aborted.
var errStalled = errors.New("no data received within the stall timeout")

// transferError classifies a failed GET: the caller's cancel, a stall, or a network error
// (all but the first are retried).
func (c *Client) transferError(ctx, tctx context.Context, repo string, f *remoteFile,
	err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(context.Cause(tctx), errStalled) {
		return &Error{Code: CodeServerError, Repo: repo, File: f.Name,
			Msg: "download of " + f.Name + " stalled", Err: errStalled}
	}
	var he *Error
	if errors.As(err, &he) {
		return err
	}
	return &Error{Code: CodeServerError, Repo: repo, File: f.Name,
		Msg: "download of " + f.Name + " interrupted", Err: redactTransportError(err)}
}

// restart empties a partial file and its running hash.
func restart(out *os.File, h *verifier) error {
	h.reset()
	if err := out.Truncate(0); err != nil {
		return err
	}
	_, err := out.Seek(0, io.SeekStart)
	return err
}

// parseContentRange reads "bytes START-END/TOTAL".
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !found {
		return 0, 0, false
	}
	span, tot, found := strings.Cut(rest, "/")
	first, _, found2 := strings.Cut(span, "-")
	if !found || !found2 {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	total, err2 := strconv.ParseInt(tot, 10, 64)
	return start, total, err1 == nil && err2 == nil
}

// fsError classifies a local file system error: a full disk has its own code.
func (c *Client) fsError(repo, what string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &Error{Code: CodeDiskFull, Repo: repo, Msg: "disk full: " + what, Err: err}
	}
	return &Error{Code: CodeCacheError, Repo: repo, Msg: what, Err: err,
		Hint: "Check that the Hugging Face cache directory (" + c.opts.CacheDir +
			") is writable."}
}

// verifier hashes a blob as it is written and checks it against the metadata: the sha256
// of an LFS file, or the git blob id ("blob <size>\x00" + bytes, sha1) of a small one.
type verifier struct {
	f    *remoteFile
	hash hash.Hash
}

func newVerifier(f *remoteFile) *verifier {
	v := &verifier{f: f}
	v.reset()
	return v
}

func (v *verifier) reset() {
	if v.f.SHA256 != "" {
		v.hash = sha256.New()
		return
	}
	v.hash = sha1.New()
	fmt.Fprintf(v.hash, "blob %d\x00", v.f.Size)
}

func (v *verifier) Write(b []byte) (int, error) { return v.hash.Write(b) }

// check compares the final size and hash with what the Hub announced.
func (v *verifier) check(size int64) error {
	if size != v.f.Size {
		return fmt.Errorf("size %d, expected %d", size, v.f.Size)
	}
	want := v.f.SHA256
	if want == "" {
		want = v.f.meta.Etag
	}
	got := hex.EncodeToString(v.hash.Sum(nil))
	if got != want {
		kind := "sha256"
		if v.f.SHA256 == "" {
			kind = "git blob id"
		}
		return fmt.Errorf("%s %s, expected %s", kind, got, want)
	}
	return nil
}
