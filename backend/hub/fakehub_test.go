package hub

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFile is one file of a fake repository.
type fakeFile struct {
	name string
	data []byte
	lfs  bool // stored in LFS: served from the CDN, ETag = sha256
}

func (f *fakeFile) sha256() string {
	s := sha256.Sum256(f.data)
	return hex.EncodeToString(s[:])
}

// gitBlobID is git's object id of the file: sha1("blob <size>\x00" + data).
func (f *fakeFile) gitBlobID() string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(f.data))
	h.Write(f.data)
	return hex.EncodeToString(h.Sum(nil))
}

// etag is the blob name huggingface_hub derives from the resolve HEAD.
func (f *fakeFile) etag() string {
	if f.lfs {
		return f.sha256()
	}
	return f.gitBlobID()
}

// fakeRepo is a repository at one commit.
type fakeRepo struct {
	id     string
	commit string
	files  []*fakeFile
	// extraNames are listed in the model info but never served (unsafe-name tests).
	extraNames []string
}

func (r *fakeRepo) file(name string) *fakeFile {
	for _, f := range r.files {
		if f.name == name {
			return f
		}
	}
	return nil
}

// rangeRequest records one GET of file bytes.
type rangeRequest struct {
	file  string
	start int64
}

// fakeHub is an httptest Hub: the model info API and the resolve endpoint on one server
// (with the relative redirect to /api/resolve-cache the real Hub uses for small files),
// and LFS blobs on a second "CDN" server reached by an absolute redirect.
type fakeHub struct {
	t   *testing.T
	api *httptest.Server
	cdn *httptest.Server

	mu    sync.Mutex
	repos map[string]*fakeRepo

	// Counters.
	served      map[string]int64 // file bytes written, per file name
	gets        []rangeRequest
	apiRequests int
	cdnAuth     int // CDN requests that carried an Authorization header
	sigs        int // CDN signatures handed out
	usedSigs    map[string]bool

	// Faults.
	token       string           // when set, the API requires "Bearer <token>"
	status      int              // when set, every API request answers this status
	errorCode   string           // X-Error-Code sent with status
	errorMsg    string           // X-Error-Message sent with status
	dropAt      map[string]int64 // drop the connection once at this offset of a file
	stallAt     map[string]int64 // stop sending at this offset (once, or always if < 0 key)
	stallAlways bool
	corrupt     map[string]bool // flip one byte of the file in every transfer
	ignoreRange bool            // answer 200 with the whole file to a Range request
	chunkDelay  time.Duration   // pause after each chunk written
	headLies    string          // "etag", "size" or "commit": the resolve HEAD disagrees
	stalled     map[string]bool
	dropped     map[string]bool
	done        chan struct{}
}

const fakeCommit = "0123456789abcdef0123456789abcdef01234567"

func newFakeHub(t *testing.T) *fakeHub {
	t.Helper()
	h := &fakeHub{t: t, repos: map[string]*fakeRepo{}, served: map[string]int64{},
		dropAt: map[string]int64{}, stallAt: map[string]int64{}, corrupt: map[string]bool{},
		stalled: map[string]bool{}, dropped: map[string]bool{}, usedSigs: map[string]bool{},
		done: make(chan struct{})}
	h.api = httptest.NewServer(http.HandlerFunc(h.serveAPI))
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	t.Cleanup(func() {
		close(h.done)
		h.api.Close()
		h.cdn.Close()
	})
	return h
}

// addRepo adds a repository whose files are config, tokenizer files and weights of
// weightSize random bytes (deterministic).
func (h *fakeHub) addRepo(id string, config string, weightSize int) *fakeRepo {
	rng := rand.New(rand.NewPCG(uint64(len(id)), uint64(weightSize)))
	weights := make([]byte, weightSize)
	for i := range weights {
		weights[i] = byte(rng.UintN(256))
	}
	r := &fakeRepo{id: id, commit: fakeCommit, files: []*fakeFile{
		{name: "config.json", data: []byte(config)},
		{name: "tokenizer.json", data: []byte(`{"version":"1.0","model":{"type":"BPE"}}`)},
		{name: "tokenizer_config.json", data: []byte(`{"bos_token":"<s>"}`)},
		{name: "generation_config.json", data: []byte(`{"eos_token_id":2}`)},
		{name: "README.md", data: []byte("# not needed\n")},
		{name: "model.safetensors", data: weights, lfs: true},
	}}
	h.mu.Lock()
	h.repos[id] = r
	h.mu.Unlock()
	return r
}

const llamaConfig = `{"model_type":"llama","quantization":{"group_size":64,"bits":4}}`

func (h *fakeHub) repo(id string) *fakeRepo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.repos[id]
}

func (h *fakeHub) servedBytes(name string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.served[name]
}

func (h *fakeHub) getsOf(name string) []rangeRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []rangeRequest
	for _, g := range h.gets {
		if g.file == name {
			out = append(out, g)
		}
	}
	return out
}

func (h *fakeHub) serveAPI(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.apiRequests++
	status, code, msg, token := h.status, h.errorCode, h.errorMsg, h.token
	h.mu.Unlock()
	if status != 0 {
		if code != "" {
			w.Header().Set("X-Error-Code", code)
		}
		if msg != "" {
			w.Header().Set("X-Error-Message", msg)
		}
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(status)
		return
	}
	if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/api/models/"):
		h.serveInfo(w, r)
	case strings.HasPrefix(p, "/api/resolve-cache/models/"):
		h.serveResolveCache(w, r)
	case strings.Contains(p, "/resolve/"):
		h.serveResolve(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveInfo answers GET /api/models/{org}/{name}/revision/{rev}?blobs=true.
func (h *fakeHub) serveInfo(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/models/")
	id, rev, ok := strings.Cut(rest, "/revision/")
	repo := h.repo(id)
	if !ok || repo == nil {
		w.Header().Set("X-Error-Code", "RepoNotFound")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if rev != "main" && rev != repo.commit {
		w.Header().Set("X-Error-Code", "RevisionNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	type lfs struct {
		SHA256      string `json:"sha256"`
		Size        int    `json:"size"`
		PointerSize int    `json:"pointerSize"`
	}
	type sib struct {
		Name   string `json:"rfilename"`
		Size   int    `json:"size"`
		BlobID string `json:"blobId"`
		LFS    *lfs   `json:"lfs,omitempty"`
	}
	info := struct {
		ID       string `json:"id"`
		SHA      string `json:"sha"`
		Siblings []sib  `json:"siblings"`
	}{ID: repo.id, SHA: repo.commit}
	for _, f := range repo.files {
		s := sib{Name: f.name, Size: len(f.data), BlobID: f.gitBlobID()}
		if f.lfs {
			s.LFS = &lfs{SHA256: f.sha256(), Size: len(f.data), PointerSize: 134}
			s.BlobID = strings.Repeat("b", 40) // the pointer file's id, not the content's
		}
		info.Siblings = append(info.Siblings, s)
	}
	for _, n := range repo.extraNames {
		info.Siblings = append(info.Siblings, sib{Name: n, Size: 1, BlobID: strings.Repeat("c", 40)})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}

// lookup finds repo and file for "{org}/{name}" and a file path.
func (h *fakeHub) lookup(id, rev, name string) (*fakeRepo, *fakeFile) {
	repo := h.repo(id)
	if repo == nil || (rev != "main" && rev != repo.commit) {
		return nil, nil
	}
	return repo, repo.file(name)
}

// serveResolve answers HEAD/GET /{org}/{name}/resolve/{rev}/{file}: LFS files redirect to
// the CDN with X-Linked-Etag and X-Linked-Size; small files redirect (relative) to
// /api/resolve-cache, as the real Hub does.
func (h *fakeHub) serveResolve(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
	if len(parts) < 5 || parts[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	id := parts[0] + "/" + parts[1]
	repo, f := h.lookup(id, parts[3], parts[4])
	if f == nil {
		w.Header().Set("X-Error-Code", "EntryNotFound")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	h.mu.Lock()
	lies := h.headLies
	h.mu.Unlock()
	etag, size, commit := f.sha256(), len(f.data), repo.commit
	switch lies {
	case "etag":
		etag = strings.Repeat("e", 64)
	case "size":
		size = 10 << 40
	case "commit":
		commit = strings.Repeat("f", 40)
	}
	w.Header().Set("X-Repo-Commit", commit)
	if f.lfs {
		w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(size))
		w.Header().Set("ETag", `"pointer-etag"`)
		h.mu.Lock()
		h.sigs++
		sig := fmt.Sprintf("cdn-secret-signature-%d", h.sigs)
		h.mu.Unlock()
		w.Header().Set("Location", h.cdn.URL+"/blobs/"+f.sha256()+"?sig="+sig)
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("Location", "/api/resolve-cache/models/"+id+"/"+repo.commit+"/"+f.name+
		"?etag=%22"+f.gitBlobID()+"%22")
	w.WriteHeader(http.StatusTemporaryRedirect)
}

// serveResolveCache serves a small file with its git blob id as ETag.
func (h *fakeHub) serveResolveCache(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/resolve-cache/models/")
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) < 4 {
		http.NotFound(w, r)
		return
	}
	repo, f := h.lookup(parts[0]+"/"+parts[1], parts[2], parts[3])
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Repo-Commit", repo.commit)
	w.Header().Set("ETag", `"`+f.gitBlobID()+`"`)
	h.serveBytes(w, r, f)
}

// serveCDN serves /blobs/{sha256} with Range support and the fault injections.
func (h *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if r.Header.Get("Authorization") != "" {
		h.cdnAuth++
	}
	var file *fakeFile
	sha := strings.TrimPrefix(r.URL.Path, "/blobs/")
	for _, repo := range h.repos {
		for _, f := range repo.files {
			if f.lfs && f.sha256() == sha {
				file = f
			}
		}
	}
	// Signatures are single-use, like short-lived CDN signatures: a retry must go back
	// to the Hub for a fresh redirect.
	sig := r.URL.Query().Get("sig")
	reused := h.usedSigs[sig]
	h.usedSigs[sig] = true
	h.mu.Unlock()
	if file == nil || sig == "" || reused {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h.serveBytes(w, r, file)
}

// serveBytes writes f (or its tail, for "Range: bytes=N-") in chunks, counting the
// bytes and applying the faults configured for f.
func (h *fakeHub) serveBytes(w http.ResponseWriter, r *http.Request, f *fakeFile) {
	size := int64(len(f.data))
	var start int64
	h.mu.Lock()
	ignoreRange, corrupt, delay := h.ignoreRange, h.corrupt[f.name], h.chunkDelay
	h.mu.Unlock()
	if rg := r.Header.Get("Range"); rg != "" && !ignoreRange {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || n >= size {
			w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = n
	}
	data := f.data
	if corrupt {
		data = append([]byte(nil), f.data...)
		data[len(data)/2] ^= 0x01
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size-start, 10))
	w.Header().Set("Accept-Ranges", "bytes")
	if start > 0 {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, size-1, size))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	if r.Method == http.MethodHead {
		return
	}
	h.mu.Lock()
	h.gets = append(h.gets, rangeRequest{file: f.name, start: start})
	h.mu.Unlock()

	const chunk = 32 << 10
	for off := start; off < size; {
		end := min(off+chunk, size)
		h.mu.Lock()
		dropAt, drop := h.dropAt[f.name]
		drop = drop && !h.dropped[f.name] && dropAt > off && dropAt <= end
		stallAt, stall := h.stallAt[f.name]
		stall = stall && (h.stallAlways || !h.stalled[f.name]) && stallAt >= off && stallAt < end
		if drop {
			end = dropAt
			h.dropped[f.name] = true
		}
		if stall {
			end = stallAt
			h.stalled[f.name] = true
		}
		h.mu.Unlock()
		n, _ := w.Write(data[off:end])
		h.mu.Lock()
		h.served[f.name] += int64(n)
		h.mu.Unlock()
		w.(http.Flusher).Flush()
		off = end
		switch {
		case drop:
			panic(http.ErrAbortHandler) // the client sees the connection close early
		case stall:
			select { // send nothing more until the client gives up
			case <-r.Context().Done():
			case <-h.done:
			}
			return
		}
		if delay > 0 {
			time.Sleep(delay)
		}
	}
}

// client returns a Client for the fake Hub with a fresh cache, no environment token and
// fast retries.
func (h *fakeHub) client(t *testing.T, mod func(*Options)) *Client {
	t.Helper()
	isolateEnv(t)
	o := Options{
		Endpoint:     h.api.URL,
		CacheDir:     t.TempDir(),
		NoToken:      true,
		StallTimeout: 2 * time.Second,
		Retry: RetryPolicy{Attempts: 3, BaseDelay: time.Millisecond,
			MaxDelay: 5 * time.Millisecond},
		ProgressInterval: time.Millisecond,
	}
	if mod != nil {
		mod(&o)
	}
	return NewClient(o)
}

// isolateEnv clears the Hugging Face variables so the developer's own token or cache
// never leaks into a test.
func isolateEnv(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	for _, v := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE",
		"TRANSFORMERS_OFFLINE", "HF_ENDPOINT", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		t.Setenv(v, "")
	}
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_TOKEN_PATH", "")
}
