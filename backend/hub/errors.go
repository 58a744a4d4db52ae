package hub

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Error codes. They are stable: the UI branches on them (see ErrorCode).
const (
	CodeOffline       = "hub_offline"          // the Hub cannot be reached, or HF_HUB_OFFLINE is set
	CodeNotFound      = "model_not_found"      // no such repository, revision, file or directory
	CodeNotDownloaded = "model_not_downloaded" // valid reference, but not in the local cache
	CodeAuthRequired  = "auth_required"        // gated or private: needs a (better) token
	CodeRateLimited   = "hub_rate_limited"     // HTTP 429 after the retries
	CodeServerError   = "hub_unavailable"      // HTTP 5xx, or a stalled transfer, after the retries
	CodeBadResponse   = "hub_bad_response"     // the Hub's answer is malformed or unsafe
	CodeUnsupported   = "unsupported_model"    // not an MLX checkpoint Knobs can run
	CodeDiskFull      = "disk_full"            // not enough free space for the download
	CodeChecksum      = "checksum_mismatch"    // a file's size or hash differs from the metadata
	CodeCancelled     = "cancelled"            // the caller cancelled the context
	CodeInvalidRef    = "invalid_model_ref"    // the reference is not a directory or a repo id
	CodeCacheError    = "cache_error"          // the cache directory cannot be written or read
)

// Error is the error type of this package. Every failure a person may need to act on
// carries a Code and a Remedy; the cause, if any, is available through errors.Unwrap.
// No Error ever contains the access token or the query string of a signed URL.
type Error struct {
	// Code is one of the Code* constants.
	Code string
	// Repo is the repository id involved, if any.
	Repo string
	// File is the repository file involved, if any.
	File string
	// Status is the HTTP status code that caused the error, or 0.
	Status int
	// Msg says what happened, lowercase and without trailing punctuation.
	Msg string
	// Hint is the remedy sentence; empty means the default remedy for Code.
	Hint string
	// Err is the underlying cause, or nil.
	Err error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Code
	}
	if e.Err != nil && e.Code != CodeCancelled {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the stable snake_case code the UI branches on.
func (e *Error) ErrorCode() string { return e.Code }

// Remedy returns one or two sentences telling the person what to do next.
func (e *Error) Remedy() string {
	if e.Hint != "" {
		return e.Hint
	}
	switch e.Code {
	case CodeOffline:
		return "Check the network connection and try again; models already downloaded " +
			"keep working offline."
	case CodeNotFound:
		return "Check the spelling of the repository id (org/name) and the revision. " +
			"If the repository is private, set HF_TOKEN or run `hf auth login`."
	case CodeNotDownloaded:
		return "Run `knobs pull " + e.Repo + "` while online to download it."
	case CodeAuthRequired:
		return "This model is gated or private: accept its terms on its Hugging Face page, " +
			"then set HF_TOKEN to a token with read access (or run `hf auth login`)."
	case CodeRateLimited:
		return "The Hub is rate limiting this machine; wait a few minutes and try again, " +
			"or set HF_TOKEN (signed-in users get higher limits)."
	case CodeServerError:
		return "The Hub or its file servers are having trouble; try again later. " +
			"The download resumes where it stopped."
	case CodeBadResponse:
		return "The server did not answer like the Hugging Face Hub; check HF_ENDPOINT."
	case CodeUnsupported:
		return "Pick an MLX checkpoint of a Llama, Qwen2 or Qwen3 model, for example one " +
			"from the mlx-community organization."
	case CodeDiskFull:
		return "Free some disk space (or point HF_HUB_CACHE to a larger disk) and run the " +
			"pull again; it resumes where it stopped."
	case CodeChecksum:
		return "The damaged file was removed; run the pull again. If it happens every " +
			"time, a proxy or the network is altering the download."
	case CodeCancelled:
		return "Run the pull again to resume where it stopped."
	case CodeInvalidRef:
		return "Give a local directory (./path or /path) or a Hub repository id such as " +
			DefaultModel + ", optionally with @revision."
	}
	return ""
}

// cancelled wraps a context error so that errors.Is(err, context.Canceled) still holds.
func cancelled(repo string, err error) *Error {
	return &Error{Code: CodeCancelled, Repo: repo, Msg: "download of " + repo + " cancelled",
		Err: err}
}

// isCancel reports whether err comes from a cancelled or expired caller context.
func isCancel(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ctx.Err()))
}

// shownURL is u without its query string and user info, the form an error may show:
// CDN addresses carry signatures in the query.
func shownURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.User = "", false, "", nil
	return c.String()
}

// redactTransportError rewrites a *url.Error so that its text shows the URL without the
// query; the rest of the chain is kept for errors.Is.
func redactTransportError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	shown := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil {
		shown = shownURL(u)
	} else if i := strings.IndexByte(shown, '?'); i >= 0 {
		shown = shown[:i]
	}
	return &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
}

// scrub removes secret from s. It is the last line of defence: no code path is meant
// to put the token into a message in the first place.
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[token]")
}

// scrubbed is an error whose text has the token removed but which still unwraps.
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// scrubError returns err with the token removed from its text, or err itself when the
// text does not contain it.
func scrubError(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	var he *Error
	if errors.As(err, &he) && he.Err != nil {
		c := *he
		c.Msg = scrub(c.Msg, secret)
		c.Err = &scrubbed{msg: scrub(he.Err.Error(), secret), err: he.Err}
		return &c
	}
	return &scrubbed{msg: scrub(err.Error(), secret), err: err}
}

func errorf(code, repo, format string, args ...any) *Error {
	return &Error{Code: code, Repo: repo, Msg: fmt.Sprintf(format, args...)}
}
