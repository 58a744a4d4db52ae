package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// noSymlinks makes c behave as on a file system that refuses symlinks with err, and
// counts the attempts.
func noSymlinks(c *Client, err error) *int {
	tries := new(int)
	c.symlink = func(oldname, newname string) error {
		*tries++
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: err}
	}
	return tries
}

func TestPullCopiesBlobsWithoutSymlinks(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"EPERM (FAT, exFAT)", syscall.EPERM},
		{"EOPNOTSUPP", syscall.EOPNOTSUPP},
		{"ENOTSUP", syscall.ENOTSUP},
		{"ErrUnsupported", errors.ErrUnsupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			repo := h.addRepo(testRepo, llamaConfig, 64<<10)
			c := h.client(t, nil)
			tries := noSymlinks(c, tc.err)

			l, err := c.Pull(context.Background(), testRepo, nil)
			if err != nil {
				t.Fatalf("Pull: %v", err)
			}
			if !l.Complete || *tries == 0 {
				t.Fatalf("Local = %+v after %d symlink tries, want a complete snapshot", l, *tries)
			}

			// Every snapshot file is a regular file with the blob's bytes; the blobs
			// stay, and no temporary file is left.
			repoDir := filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit")
			for _, f := range repo.files {
				if f.name == "README.md" {
					continue
				}
				path := filepath.Join(l.Path, f.name)
				fi, err := os.Lstat(path)
				if err != nil || !fi.Mode().IsRegular() {
					t.Errorf("%s: %v (mode %v), want a regular file", f.name, err, fi)
					continue
				}
				if data, _ := os.ReadFile(path); string(data) != string(f.data) {
					t.Errorf("%s: content differs from the served file", f.name)
				}
				if _, err := os.Stat(filepath.Join(repoDir, "blobs", f.etag())); err != nil {
					t.Errorf("%s: blob gone after the copy: %v", f.name, err)
				}
			}
			for _, p := range cacheTree(t, repoDir) {
				if strings.Contains(p, ".copy-") || strings.Contains(p, ".link-") {
					t.Errorf("temporary file left: %s", p)
				}
			}
		})
	}
}

func TestPullAgainKeepsTheCopies(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 64<<10)
	c := h.client(t, nil)
	noSymlinks(c, syscall.EPERM)
	l, err := c.Pull(context.Background(), testRepo, nil)
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(l.Path, "model.safetensors")
	before, err := os.Stat(weights)
	if err != nil {
		t.Fatal(err)
	}

	served := h.servedBytes("model.safetensors")
	tries := noSymlinks(c, syscall.EPERM)
	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(weights)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || *tries != 0 {
		t.Errorf("second pull replaced the copy (same file %v, %d symlink tries)",
			os.SameFile(before, after), *tries)
	}
	if more := h.servedBytes("model.safetensors") - served; more != 0 {
		t.Errorf("second pull served %d more weight bytes", more)
	}
}

func TestOtherSymlinkErrorsAreCacheErrors(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 16<<10)
	c := h.client(t, nil)
	noSymlinks(c, syscall.EIO)
	_, err := c.Pull(context.Background(), testRepo, nil)
	wantCode(t, err, CodeCacheError)
}

func TestSymlinkUnsupported(t *testing.T) {
	link := func(err error) error { return &os.LinkError{Op: "symlink", Err: err} }
	for _, err := range []error{link(syscall.EPERM), link(syscall.EACCES),
		link(syscall.EOPNOTSUPP), link(syscall.ENOTSUP), link(syscall.ENOSYS),
		errors.ErrUnsupported} {
		if !symlinkUnsupported(err) {
			t.Errorf("symlinkUnsupported(%v) = false, want true", err)
		}
	}
	for _, err := range []error{link(syscall.EIO), link(syscall.ENOSPC), link(syscall.EEXIST)} {
		if symlinkUnsupported(err) {
			t.Errorf("symlinkUnsupported(%v) = true, want false", err)
		}
	}
}
