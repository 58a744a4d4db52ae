package hub

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testRepo = "mlx-community/Tiny-Llama-4bit"

// wantCode fails the test unless err is an *Error with the given code and a remedy.
func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("error = %v (%T), want *hub.Error with code %s", err, err, code)
	}
	if he.ErrorCode() != code {
		t.Fatalf("code = %s (%v), want %s", he.ErrorCode(), err, code)
	}
	if he.Remedy() == "" {
		t.Errorf("code %s has no remedy", code)
	}
	return he
}

// cacheTree lists every path under dir relative to it, with "-> target" for symlinks.
func cacheTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			rel += " -> " + target
		} else if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestPullWritesHuggingFaceLayout(t *testing.T) {
	h := newFakeHub(t)
	repo := h.addRepo(testRepo, llamaConfig, 300<<10)
	h.token = "hf_testsecrettoken0123456789"
	c := h.client(t, func(o *Options) { o.NoToken, o.Token = false, h.token })

	var events []Progress
	l, err := c.Pull(context.Background(), testRepo, func(p Progress) { events = append(events, p) })
	if err != nil {
		t.Fatal(err)
	}

	// The tree is exactly what huggingface_hub writes: blobs named by ETag, relative
	// symlinks from snapshots/<commit>, refs/main holding the commit without newline.
	want := []string{
		"blobs/",
		"refs/",
		"refs/main",
		"snapshots/",
		"snapshots/" + fakeCommit + "/",
	}
	for _, f := range repo.files {
		if f.name == "README.md" {
			continue
		}
		want = append(want, "blobs/"+f.etag(),
			"snapshots/"+fakeCommit+"/"+f.name+" -> ../../blobs/"+f.etag())
	}
	sort.Strings(want)
	repoDir := filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit")
	got := cacheTree(t, repoDir)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cache tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	root, _ := os.ReadDir(c.CacheDir())
	if len(root) != 2 || root[0].Name() != ".locks" ||
		root[1].Name() != "models--mlx-community--Tiny-Llama-4bit" {
		t.Errorf("cache root = %v, want .locks and the repo folder", root)
	}
	lock := filepath.Join(c.CacheDir(), ".locks", "models--mlx-community--Tiny-Llama-4bit",
		repo.file("model.safetensors").etag()+".lock")
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("no lock file where huggingface_hub puts it: %v", err)
	}
	ref, _ := os.ReadFile(filepath.Join(repoDir, "refs", "main"))
	if string(ref) != fakeCommit {
		t.Errorf("refs/main = %q, want %q", ref, fakeCommit)
	}
	for _, f := range repo.files {
		data, err := os.ReadFile(filepath.Join(l.Path, f.name))
		if f.name == "README.md" {
			if err == nil {
				t.Errorf("README.md was downloaded")
			}
			continue
		}
		if err != nil || string(data) != string(f.data) {
			t.Errorf("%s: content differs (err %v)", f.name, err)
		}
	}

	// The Local describes the snapshot.
	if l.Repo != testRepo || l.Revision != fakeCommit || !l.Complete ||
		l.Path != filepath.Join(repoDir, "snapshots", fakeCommit) {
		t.Errorf("Local = %+v", l)
	}
	if len(l.Refs) != 1 || l.Refs[0] != "main" {
		t.Errorf("Refs = %v, want [main]", l.Refs)
	}
	var total int64
	for _, f := range repo.files {
		if f.name != "README.md" {
			total += int64(len(f.data))
		}
	}
	if l.Size != total {
		t.Errorf("Size = %d, want %d", l.Size, total)
	}

	// The token reached the API but never the CDN.
	if h.cdnAuth != 0 {
		t.Errorf("%d CDN requests carried the Authorization header", h.cdnAuth)
	}

	// Progress ends at Done == Total in phase done, and Done never decreases.
	last := events[len(events)-1]
	if last.Phase != PhaseDone || last.Done != total || last.Total != total {
		t.Errorf("last event = %+v, want done with %d/%d", last, total, total)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Done < events[i-1].Done {
			t.Fatalf("Done decreased: %d then %d", events[i-1].Done, events[i].Done)
		}
	}
}

func TestPullTwiceFetchesNothing(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 64<<10)
	c := h.client(t, nil)
	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	before := h.servedBytes("model.safetensors")
	n := h.apiRequests
	if _, err := c.Ensure(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	if h.apiRequests != n {
		t.Errorf("Ensure of a cached model made %d requests", h.apiRequests-n)
	}
	if _, err := c.Pull(context.Background(), testRepo+"@main", nil); err != nil {
		t.Fatal(err)
	}
	if after := h.servedBytes("model.safetensors"); after != before {
		t.Errorf("second pull served %d more weight bytes", after-before)
	}
}

func TestReadsTreeWrittenByHuggingFaceHub(t *testing.T) {
	// Build by hand the tree hf_hub_download leaves for a sharded checkpoint, with an old
	// snapshot next to the current one, and check that Knobs uses it without the network.
	isolateEnv(t)
	cache := t.TempDir()
	repoDir := filepath.Join(cache, "models--mlx-community--Sharded-4bit")
	files := map[string]string{
		"config.json":    llamaConfig,
		"tokenizer.json": `{"version":"1.0"}`,
		"model.safetensors.index.json": `{"metadata":{},"weight_map":{` +
			`"a.weight":"model-00001-of-00002.safetensors",` +
			`"b.weight":"model-00002-of-00002.safetensors"}}`,
		"model-00001-of-00002.safetensors": "shard one",
		"model-00002-of-00002.safetensors": "shard two",
	}
	snap := filepath.Join(repoDir, "snapshots", fakeCommit)
	for name, content := range files {
		f := &fakeFile{name: name, data: []byte(content), lfs: strings.HasSuffix(name, ".safetensors")}
		mustWrite(t, filepath.Join(repoDir, "blobs", f.etag()), content)
		mustSymlink(t, "../../blobs/"+f.etag(), filepath.Join(snap, name))
	}
	old := strings.Repeat("a", 40)
	mustWrite(t, filepath.Join(repoDir, "blobs", "cafe"), llamaConfig)
	mustSymlink(t, "../../blobs/cafe", filepath.Join(repoDir, "snapshots", old, "config.json"))
	mustWrite(t, filepath.Join(repoDir, "refs", "main"), fakeCommit)
	mustWrite(t, filepath.Join(repoDir, "refs", "v1"), old)
	mustWrite(t, filepath.Join(cache, "datasets--x--y", "refs", "main"), fakeCommit)

	c := NewClient(Options{Endpoint: "http://127.0.0.1:9", CacheDir: cache, Offline: true})
	for _, ref := range []string{"mlx-community/Sharded-4bit", "mlx-community/Sharded-4bit@main",
		"mlx-community/Sharded-4bit@" + fakeCommit} {
		l, err := c.Ensure(context.Background(), ref, nil)
		if err != nil {
			t.Fatalf("Ensure(%s): %v", ref, err)
		}
		if !l.Complete || l.Path != snap || l.Revision != fakeCommit {
			t.Errorf("Ensure(%s) = %+v", ref, l)
		}
	}

	l, err := c.Resolve(context.Background(), "mlx-community/Sharded-4bit@v1")
	if err != nil || l.Complete || l.Problem != "no tokenizer.json" {
		t.Errorf("old snapshot: %+v, %v; want incomplete (no tokenizer.json)", l, err)
	}
	list, err := c.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v; want the two snapshots", list, err)
	}
	if list[0].Revision != fakeCommit || !list[0].Complete || list[1].Revision != old {
		t.Errorf("List = %+v", list)
	}

	// A missing shard makes the snapshot incomplete.
	_ = os.Remove(filepath.Join(snap, "model-00002-of-00002.safetensors"))
	l, _ = c.Resolve(context.Background(), "mlx-community/Sharded-4bit")
	if l.Complete || !strings.Contains(l.Problem, "model-00002-of-00002") {
		t.Errorf("after removing a shard: %+v", l)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func TestResumeAfterDroppedConnection(t *testing.T) {
	h := newFakeHub(t)
	const size = 512 << 10
	h.addRepo(testRepo, llamaConfig, size)
	h.dropAt["model.safetensors"] = size / 2
	c := h.client(t, nil)

	var retries int
	if _, err := c.Pull(context.Background(), testRepo, func(p Progress) {
		retries = max(retries, p.Retry)
	}); err != nil {
		t.Fatal(err)
	}
	gets := h.getsOf("model.safetensors")
	if len(gets) != 2 || gets[0].start != 0 || gets[1].start != size/2 {
		t.Errorf("GETs = %+v, want one from 0 and one resuming at %d", gets, size/2)
	}
	if got := h.servedBytes("model.safetensors"); got != size {
		t.Errorf("served %d weight bytes, want %d (resume, not restart)", got, size)
	}
	if retries != 1 {
		t.Errorf("progress reported %d retries, want 1", retries)
	}
}

func TestCancelThenResume(t *testing.T) {
	h := newFakeHub(t)
	const size = 1 << 20
	h.addRepo(testRepo, llamaConfig, size)
	h.chunkDelay = 2 * time.Millisecond
	c := h.client(t, nil)

	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Pull(ctx, testRepo, func(p Progress) {
		if p.File == "model.safetensors" && p.FileDone >= size/4 {
			cancel()
		}
	})
	he := wantCode(t, err, CodeCancelled)
	if !errors.Is(he, context.Canceled) {
		t.Errorf("cancel error does not wrap context.Canceled: %v", err)
	}
	f := h.repo(testRepo).file("model.safetensors")
	partial := filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit", "blobs",
		f.etag()+".incomplete")
	fi, err := os.Stat(partial)
	if err != nil || fi.Size() == 0 || fi.Size() >= size {
		t.Fatalf("partial file after cancel: %v, %v", fi, err)
	}
	have := fi.Size()

	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	gets := h.getsOf("model.safetensors")
	if len(gets) != 2 || gets[1].start != have {
		t.Errorf("GETs = %+v, want the second to resume at %d", gets, have)
	}
	if _, err := os.Stat(partial); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".incomplete left behind: %v", err)
	}
}

func TestServerIgnoringRangeRestartsCleanly(t *testing.T) {
	h := newFakeHub(t)
	const size = 256 << 10
	h.addRepo(testRepo, llamaConfig, size)
	h.dropAt["model.safetensors"] = size / 3
	h.ignoreRange = true
	c := h.client(t, nil)
	l, err := c.Pull(context.Background(), testRepo, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(l.Path, "model.safetensors"))
	if string(data) != string(h.repo(testRepo).file("model.safetensors").data) {
		t.Error("weights differ after a restart from byte 0")
	}
}

func TestChecksumMismatchLeavesNothing(t *testing.T) {
	for _, name := range []string{"model.safetensors", "tokenizer.json", "config.json"} {
		t.Run(name, func(t *testing.T) {
			h := newFakeHub(t)
			h.addRepo(testRepo, llamaConfig, 128<<10)
			h.corrupt[name] = true
			c := h.client(t, nil)
			_, err := c.Pull(context.Background(), testRepo, nil)
			wantCode(t, err, CodeChecksum)

			f := h.repo(testRepo).file(name)
			repoDir := filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit")
			for _, p := range []string{
				filepath.Join(repoDir, "blobs", f.etag()),
				filepath.Join(repoDir, "blobs", f.etag()+".incomplete"),
				filepath.Join(repoDir, "snapshots", fakeCommit, name),
				filepath.Join(repoDir, "refs", "main"),
			} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s is in the cache after a checksum error", p)
				}
			}
			if len(h.getsOf(name)) != 1 {
				t.Errorf("corrupt file fetched %d times, want 1 (no retry)", len(h.getsOf(name)))
			}
		})
	}
}

func TestHubErrors(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		errorCode string
		token     string
		want      string
		attempts  int
	}{
		{"401 unknown repo without token", 401, "RepoNotFound", "", CodeNotFound, 1},
		{"401 bare", 401, "", "", CodeAuthRequired, 1},
		{"401 with a rejected token", 401, "", "hf_rejected_token_abcdef", CodeAuthRequired, 1},
		{"403 gated", 403, "GatedRepo", "", CodeAuthRequired, 1},
		{"403 forbidden", 403, "", "hf_some_token_abcdef", CodeAuthRequired, 1},
		{"404", 404, "", "", CodeNotFound, 1},
		{"404 revision", 404, "RevisionNotFound", "", CodeNotFound, 1},
		{"429", 429, "", "", CodeRateLimited, 3},
		{"500", 500, "", "", CodeServerError, 3},
		{"503", 503, "", "", CodeServerError, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			h.addRepo(testRepo, llamaConfig, 1024)
			h.status, h.errorCode = tc.status, tc.errorCode
			h.errorMsg = "echo " + tc.token
			c := h.client(t, func(o *Options) { o.Token, o.NoToken = tc.token, tc.token == "" })
			_, err := c.Pull(context.Background(), testRepo, nil)
			he := wantCode(t, err, tc.want)
			if he.Status != tc.status {
				t.Errorf("Status = %d, want %d", he.Status, tc.status)
			}
			if h.apiRequests != tc.attempts {
				t.Errorf("%d requests, want %d", h.apiRequests, tc.attempts)
			}
			if tc.token != "" && (strings.Contains(err.Error(), tc.token) ||
				strings.Contains(he.Remedy(), tc.token)) {
				t.Errorf("the token appears in the error: %v", err)
			}
		})
	}
}

func TestFileErrorsNameTheFile(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 1024)
	// The listing names a weight file the resolve endpoint does not have.
	h.repo(testRepo).extraNames = []string{"model-extra.safetensors"}
	c := h.client(t, nil)
	_, err := c.Pull(context.Background(), testRepo, nil)
	he := wantCode(t, err, CodeNotFound)
	if he.File != "model-extra.safetensors" || !strings.Contains(err.Error(), "model-extra") {
		t.Errorf("error = %v, File = %q", err, he.File)
	}
}

func TestUnreachableHubIsOffline(t *testing.T) {
	isolateEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	c := NewClient(Options{Endpoint: "http://" + addr, CacheDir: t.TempDir(), NoToken: true,
		Retry: RetryPolicy{Attempts: 3, BaseDelay: time.Second}})
	start := time.Now()
	_, err = c.Ensure(context.Background(), testRepo, nil)
	wantCode(t, err, CodeOffline)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refused connection took %v: it must not be retried", d)
	}
}

func TestOfflineMode(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 4096)
	c := h.client(t, nil)
	t.Setenv("HF_HUB_OFFLINE", "1")
	off := NewClient(Options{Endpoint: h.api.URL, CacheDir: c.CacheDir(), NoToken: true})
	_, err := off.Ensure(context.Background(), testRepo, nil)
	he := wantCode(t, err, CodeOffline)
	if !strings.Contains(he.Remedy(), "HF_HUB_OFFLINE") {
		t.Errorf("remedy %q does not mention HF_HUB_OFFLINE", he.Remedy())
	}
	if h.apiRequests != 0 {
		t.Errorf("offline client made %d requests", h.apiRequests)
	}
	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	n := h.apiRequests
	if l, err := off.Pull(context.Background(), testRepo, nil); err != nil || !l.Complete {
		t.Errorf("offline pull of a cached model: %+v, %v", l, err)
	}
	if h.apiRequests != n {
		t.Errorf("offline pull made %d requests", h.apiRequests-n)
	}
}

func TestStallIsDetectedAndResumed(t *testing.T) {
	h := newFakeHub(t)
	const size = 256 << 10
	h.addRepo(testRepo, llamaConfig, size)
	h.stallAt["model.safetensors"] = size / 2
	c := h.client(t, func(o *Options) { o.StallTimeout = 300 * time.Millisecond })
	start := time.Now()
	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("pull with one stall took %v", d)
	}
	gets := h.getsOf("model.safetensors")
	if len(gets) != 2 || gets[1].start != size/2 {
		t.Errorf("GETs = %+v, want a resume at %d after the stall", gets, size/2)
	}
}

func TestStallForeverGivesUp(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 128<<10)
	h.stallAt["model.safetensors"] = 1000
	h.stallAlways = true
	c := h.client(t, func(o *Options) { o.StallTimeout = 200 * time.Millisecond })
	_, err := c.Pull(context.Background(), testRepo, nil)
	wantCode(t, err, CodeServerError)
	if !errors.Is(err, errStalled) || !strings.Contains(err.Error(), "stalled") {
		t.Errorf("error = %v, want a stall", err)
	}
	if n := len(h.getsOf("model.safetensors")); n != 3 {
		t.Errorf("%d attempts, want 3 (the retry policy)", n)
	}
}

func TestUnsupportedModelsAreRejectedBeforeWeights(t *testing.T) {
	cases := []struct {
		name, config, mention string
	}{
		{"architecture", `{"model_type":"gpt2"}`, `"gpt2"`},
		{"quantization mode", `{"model_type":"llama","quantization":` +
			`{"group_size":32,"bits":4,"mode":"mxfp4"}}`, `"mxfp4"`},
		{"bits", `{"model_type":"qwen2","quantization":{"group_size":64,"bits":7}}`, "bits 7"},
		{"gptq", `{"model_type":"qwen3","quantization_config":{"quant_method":"gptq"}}`, `"gptq"`},
		{"no model_type", `{"hidden_size":8}`, "model_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHub(t)
			h.addRepo(testRepo, tc.config, 64<<10)
			c := h.client(t, nil)
			_, err := c.Pull(context.Background(), testRepo, nil)
			wantCode(t, err, CodeUnsupported)
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not name %s", err, tc.mention)
			}
			if n := h.servedBytes("model.safetensors"); n != 0 {
				t.Errorf("%d weight bytes fetched for an unsupported model", n)
			}
			blobs, _ := os.ReadDir(filepath.Join(c.CacheDir(),
				"models--mlx-community--Tiny-Llama-4bit", "blobs"))
			if len(blobs) != 0 {
				t.Errorf("%d blobs written for an unsupported model", len(blobs))
			}
		})
	}
}

func TestRepoWithoutSafetensorsIsUnsupported(t *testing.T) {
	h := newFakeHub(t)
	r := h.addRepo(testRepo, llamaConfig, 1024)
	r.files[len(r.files)-1].name = "pytorch_model.bin"
	c := h.client(t, nil)
	_, err := c.Pull(context.Background(), testRepo, nil)
	wantCode(t, err, CodeUnsupported)
	if !strings.Contains(err.Error(), "safetensors") {
		t.Errorf("error %q does not mention safetensors", err)
	}
}

func TestUnsafeFileNamesAreRejected(t *testing.T) {
	for _, name := range []string{"../escape.json", "/etc/passwd", `dir\model.safetensors`,
		"a/../../b", "./config.json", "a//b", "C:/x"} {
		t.Run(name, func(t *testing.T) {
			h := newFakeHub(t)
			h.addRepo(testRepo, llamaConfig, 1024)
			h.repo(testRepo).extraNames = []string{name}
			c := h.client(t, nil)
			_, err := c.Pull(context.Background(), testRepo, nil)
			wantCode(t, err, CodeBadResponse)
			if entries, _ := os.ReadDir(c.CacheDir()); len(entries) != 0 {
				t.Errorf("cache written despite an unsafe listing: %v", entries)
			}
		})
	}
}

func TestDiskSpaceIsCheckedBeforeDownloading(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 64<<10)
	c := h.client(t, nil)
	c.diskFree = func(string) (int64, error) { return 10 << 20, nil }
	_, err := c.Pull(context.Background(), testRepo, nil)
	he := wantCode(t, err, CodeDiskFull)
	if !strings.Contains(he.Msg, "MiB") {
		t.Errorf("message %q does not say how much is needed", he.Msg)
	}
	if n := h.servedBytes("model.safetensors"); n != 0 {
		t.Errorf("%d weight bytes fetched with a full disk", n)
	}
	if retryable(&Error{Code: CodeDiskFull}) {
		t.Error("a full disk must not be retried")
	}
}

func TestConcurrentPullsShareOneDownload(t *testing.T) {
	h := newFakeHub(t)
	const size = 256 << 10
	h.addRepo(testRepo, llamaConfig, size)
	h.chunkDelay = time.Millisecond
	c := h.client(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Pull(context.Background(), testRepo, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := h.servedBytes("model.safetensors"); got != size {
		t.Errorf("served %d weight bytes for two concurrent pulls, want %d", got, size)
	}
}

func TestProgressIsThrottled(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 512<<10)
	h.chunkDelay = time.Millisecond
	c := h.client(t, func(o *Options) { o.ProgressInterval = time.Hour })
	var events []Progress
	if _, err := c.Pull(context.Background(), testRepo, func(p Progress) {
		events = append(events, p)
	}); err != nil {
		t.Fatal(err)
	}
	// Only the unthrottled events remain: resolving, start, per file start/resume/end, done.
	if len(events) > 3+2*5 {
		t.Errorf("%d events with a one-hour interval", len(events))
	}
	for _, e := range events {
		if e.BytesPerSec < 0 || (e.ETA < 0 && e.ETA != -1) {
			t.Errorf("bad rate or ETA in %+v", e)
		}
	}
}

func TestListAndRemove(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 32<<10)
	h.addRepo("other/Model-4bit", llamaConfig, 16<<10)
	local := t.TempDir()
	mustWrite(t, filepath.Join(local, "config.json"), `{"model_type":"llama"}`)
	c := h.client(t, func(o *Options) { o.LocalDirs = []string{local} })
	for _, r := range []string{testRepo, "other/Model-4bit"} {
		if _, err := c.Pull(context.Background(), r, nil); err != nil {
			t.Fatal(err)
		}
	}
	list, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Path != local || list[0].Complete ||
		list[1].Repo != testRepo || !list[1].Complete || list[1].Size == 0 ||
		list[2].Repo != "other/Model-4bit" {
		t.Fatalf("List = %+v", list)
	}

	wantCode(t, c.Remove(local), CodeInvalidRef)
	if _, err := os.Stat(local); err != nil {
		t.Fatal("Remove touched a local directory")
	}
	if err := c.Remove(testRepo + "@main"); err != nil {
		t.Fatal(err)
	}
	blobs, _ := os.ReadDir(filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit",
		"blobs"))
	if len(blobs) != 0 {
		t.Errorf("%d blobs left after removing the only snapshot", len(blobs))
	}
	if err := c.Remove("other/Model-4bit"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.CacheDir(), "models--other--Model-4bit")); err == nil {
		t.Error("repository folder left after Remove")
	}
	wantCode(t, c.Remove("other/Model-4bit"), CodeNotDownloaded)
}

func TestSignedURLNeverShown(t *testing.T) {
	h := newFakeHub(t)
	h.addRepo(testRepo, llamaConfig, 64<<10)
	h.stallAt["model.safetensors"] = 10
	h.stallAlways = true
	c := h.client(t, func(o *Options) {
		o.StallTimeout = 200 * time.Millisecond
		o.Retry = RetryPolicy{Attempts: 1}
	})
	_, err := c.Pull(context.Background(), testRepo, nil)
	if err == nil || strings.Contains(err.Error(), "cdn-secret-signature") {
		t.Errorf("error = %v", err)
	}
}

func TestLocalFileSystemErrors(t *testing.T) {
	c := NewClient(Options{CacheDir: t.TempDir(), NoToken: true})
	full := c.fsError("r", "write blob", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	wantCode(t, full, CodeDiskFull)
	if retryable(full) || retryable(&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}) {
		t.Error("a full disk must not be retried")
	}
	other := c.fsError("r", "write blob", &fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES})
	if retryable(other) {
		t.Error("a permission error must not be retried")
	}
	if !retryable(errors.New("connection reset by peer")) {
		t.Error("a network error must be retried")
	}
}

func TestResumesIncompleteBlobLeftByHuggingFaceHub(t *testing.T) {
	// hf_hub_download writes blobs/<etag>.incomplete and resumes it with a Range
	// request; Knobs continues the same file.
	h := newFakeHub(t)
	const size, have = 200 << 10, 70000
	f := h.addRepo(testRepo, llamaConfig, size).file("model.safetensors")
	c := h.client(t, nil)
	mustWrite(t, filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit", "blobs",
		f.etag()+".incomplete"), string(f.data[:have]))
	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
	if gets := h.getsOf("model.safetensors"); len(gets) != 1 || gets[0].start != have {
		t.Errorf("GETs = %+v, want one resuming at %d", gets, have)
	}
}

func TestCorruptIncompleteBlobIsNotTrusted(t *testing.T) {
	// A partial file with wrong bytes fails verification and is removed, so the next
	// pull starts clean.
	h := newFakeHub(t)
	const size = 100 << 10
	f := h.addRepo(testRepo, llamaConfig, size).file("model.safetensors")
	c := h.client(t, nil)
	partial := filepath.Join(c.CacheDir(), "models--mlx-community--Tiny-Llama-4bit", "blobs",
		f.etag()+".incomplete")
	mustWrite(t, partial, strings.Repeat("x", 1000))
	_, err := c.Pull(context.Background(), testRepo, nil)
	wantCode(t, err, CodeChecksum)
	if _, err := os.Stat(partial); err == nil {
		t.Error("corrupt partial file kept")
	}
	if _, err := c.Pull(context.Background(), testRepo, nil); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataDisagreeingWithListingIsRejected(t *testing.T) {
	for _, lie := range []string{"etag", "size", "commit"} {
		t.Run(lie, func(t *testing.T) {
			h := newFakeHub(t)
			h.addRepo(testRepo, llamaConfig, 4096)
			h.headLies = lie
			c := h.client(t, nil)
			_, err := c.Pull(context.Background(), testRepo, nil)
			he := wantCode(t, err, CodeBadResponse)
			if he.File != "model.safetensors" {
				t.Errorf("File = %q", he.File)
			}
			if n := h.servedBytes("model.safetensors"); n != 0 {
				t.Errorf("%d bytes fetched despite inconsistent metadata", n)
			}
		})
	}
}
