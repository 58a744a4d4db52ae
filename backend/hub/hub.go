// Package hub finds and fetches model checkpoints. It owns the Hugging Face cache layout
// (the one huggingface_hub and mlx-lm write, so a model either downloaded is used by the
// other as is), the Hub's HTTP protocol for downloads (metadata, redirects to the file
// CDN, resumable transfers with checksums) and the meaning of a model reference: a
// local directory or a repository id with an optional revision.
//
// The package does not log. It reports progress through a callback and failures as
// *Error values that carry a stable code and a remedy.
package hub

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultModel is the model Knobs uses when none is named.
const DefaultModel = "mlx-community/Llama-3.2-1B-Instruct-4bit"

// DefaultEndpoint is the Hub's address when HF_ENDPOINT is not set.
const DefaultEndpoint = "https://huggingface.co"

// RetryPolicy bounds the retries of one request or one file transfer.
type RetryPolicy struct {
	// Attempts is the total number of tries, the first included. Values below 1 mean 1.
	Attempts int
	// BaseDelay is the wait before the second try; each later wait doubles, up to MaxDelay.
	BaseDelay time.Duration
	// MaxDelay caps one wait, including a server's Retry-After.
	MaxDelay time.Duration
}

// DefaultRetry is the policy of a Client whose Options leave Retry zero: five tries
// spread over about half a minute ride out a CDN hiccup or a Wi-Fi roam, yet a dead
// network fails within a minute.
var DefaultRetry = RetryPolicy{Attempts: 5, BaseDelay: time.Second, MaxDelay: 16 * time.Second}

// Options configures a Client. NewClient fills every zero field from the environment,
// the way huggingface_hub reads it, then from built-in defaults.
type Options struct {
	// Endpoint is the Hub's base URL (HF_ENDPOINT; default https://huggingface.co).
	Endpoint string
	// Token is the access token sent to Endpoint only (HF_TOKEN, then
	// HUGGING_FACE_HUB_TOKEN, then the token file HF_TOKEN_PATH or $HF_HOME/token).
	Token string
	// NoToken disables the token even when the environment provides one.
	NoToken bool
	// CacheDir is the hub cache (HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then
	// $HF_HOME/hub, with HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or
	// ~/.cache/huggingface).
	CacheDir string
	// Offline forbids network access; HF_HUB_OFFLINE=1 (or TRANSFORMERS_OFFLINE=1) sets it.
	Offline bool
	// LocalDirs are extra model directories that List reports besides the cache.
	LocalDirs []string
	// HTTPClient sends the requests. Its redirect policy is overridden per request so that
	// the token never follows a redirect to another host. Default: a client with
	// connection and TLS timeouts but no overall timeout (downloads are long).
	HTTPClient *http.Client
	// StallTimeout aborts and retries a transfer that delivers no byte for this long;
	// it also bounds the wait for response headers. Default 30 s.
	StallTimeout time.Duration
	// Retry bounds the retries; the zero value means DefaultRetry.
	Retry RetryPolicy
	// ProgressInterval is the minimum time between two progress callbacks (except the
	// first and last of each file). Default 100 ms, at most 10 events a second.
	ProgressInterval time.Duration
	// UserAgent is sent with every request. Default "knobs/0 (huggingface_hub-compatible)".
	UserAgent string
}

// Client resolves and downloads models. It is safe for concurrent use; two pulls of the
// same blob, in one process or several (the app and the CLI), wait for each other through
// the lock files huggingface_hub also uses.
type Client struct {
	opts Options
	// diskFree returns the bytes available to an unprivileged user at path; tests replace it.
	diskFree func(path string) (int64, error)
	// sleep waits between retries; tests replace it to keep them fast.
	sleep func(d time.Duration) <-chan time.Time
	// symlink is os.Symlink; tests replace it to play a file system without symlinks.
	symlink func(oldname, newname string) error
}

// NewClient returns a client configured by opts, whose zero fields are taken from the
// environment and then from the defaults documented on Options.
func NewClient(opts Options) *Client {
	env := OptionsFromEnv()
	if opts.Endpoint == "" {
		opts.Endpoint = env.Endpoint
	}
	opts.Endpoint = strings.TrimRight(opts.Endpoint, "/")
	if opts.Token == "" && !opts.NoToken {
		opts.Token = env.Token
	}
	if opts.NoToken {
		opts.Token = ""
	}
	if opts.CacheDir == "" {
		opts.CacheDir = env.CacheDir
	}
	opts.Offline = opts.Offline || env.Offline
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = 30 * time.Second
	}
	if opts.Retry == (RetryPolicy{}) {
		opts.Retry = DefaultRetry
	}
	if opts.Retry.Attempts < 1 {
		opts.Retry.Attempts = 1
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 100 * time.Millisecond
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "knobs/0 (huggingface_hub-compatible)"
	}
	return &Client{opts: opts, diskFree: diskFree, sleep: time.After, symlink: os.Symlink}
}

// Options returns the client's effective options with the token replaced by "[set]" or
// "", so they can be shown.
func (c *Client) Options() Options {
	o := c.opts
	if o.Token != "" {
		o.Token = "[set]"
	}
	return o
}

// CacheDir returns the hub cache directory the client reads and writes.
func (c *Client) CacheDir() string { return c.opts.CacheDir }

// OptionsFromEnv reads the Hugging Face environment variables into Options, with the
// defaults huggingface_hub uses where a variable is unset. It fills Endpoint, Token,
// CacheDir and Offline only.
func OptionsFromEnv() Options {
	home := hfHome()
	o := Options{
		Endpoint: strings.TrimRight(os.Getenv("HF_ENDPOINT"), "/"),
		CacheDir: firstNonEmpty(os.Getenv("HF_HUB_CACHE"), os.Getenv("HUGGINGFACE_HUB_CACHE")),
		Offline:  envTrue("HF_HUB_OFFLINE") || envTrue("TRANSFORMERS_OFFLINE"),
	}
	if o.Endpoint == "" {
		o.Endpoint = DefaultEndpoint
	}
	if o.CacheDir == "" {
		o.CacheDir = filepath.Join(home, "hub")
	}
	o.CacheDir = expandHome(o.CacheDir)
	o.Token = envToken(home)
	return o
}

// hfHome is HF_HOME, or $XDG_CACHE_HOME/huggingface, or ~/.cache/huggingface.
func hfHome() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return expandHome(h)
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		base = filepath.Join(userHome(), ".cache")
	}
	return filepath.Join(expandHome(base), "huggingface")
}

// envToken returns the token from HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file,
// in huggingface_hub's order, with surrounding whitespace removed.
func envToken(home string) string {
	for _, name := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(name)); t != "" {
			return t
		}
	}
	path := os.Getenv("HF_TOKEN_PATH")
	if path == "" {
		path = filepath.Join(home, "token")
	}
	data, err := os.ReadFile(expandHome(path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// envTrue reads a boolean variable the way huggingface_hub does: 1, ON, YES or TRUE.
func envTrue(name string) bool {
	switch strings.ToUpper(strings.TrimSpace(os.Getenv(name))) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

func userHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

// expandHome replaces a leading ~ with the home directory.
func expandHome(p string) string {
	if p == "~" {
		return userHome()
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(userHome(), p[2:])
	}
	return p
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
