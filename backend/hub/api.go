package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Response headers of the Hub's resolve endpoint (huggingface_hub constants.py).
const (
	headerRepoCommit = "X-Repo-Commit"
	headerLinkedEtag = "X-Linked-Etag"
	headerLinkedSize = "X-Linked-Size"
	headerErrorCode  = "X-Error-Code"
	headerErrorMsg   = "X-Error-Message"
)

// maxRedirects bounds a redirect chain (resolve → resolve-cache → CDN is three hops).
const maxRedirects = 10

// maxInfoBytes bounds the model info JSON; a repository listing of a few thousand files
// is well under a megabyte.
const maxInfoBytes = 16 << 20

func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 15 * time.Second
	return &http.Client{Transport: tr}
}

// sameOrigin reports whether u is served by the Hub endpoint itself (scheme, host and
// port). The token goes to the endpoint only: never to the CDN a download redirects to.
func (c *Client) sameOrigin(u *url.URL) bool {
	ep, err := url.Parse(c.opts.Endpoint)
	return err == nil && strings.EqualFold(ep.Scheme, u.Scheme) &&
		strings.EqualFold(ep.Host, u.Host)
}

// newRequest builds a request with the user agent, "identity" encoding (so sizes and
// ranges count file bytes) and the token when u is the endpoint.
func (c *Client) newRequest(ctx context.Context, method string, u *url.URL) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept-Encoding", "identity")
	if c.opts.Token != "" && c.sameOrigin(u) {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	return req, nil
}

// do sends method to u, following redirects itself: the token is added afresh for each
// hop that stays on the endpoint and dropped for any other host. With stopAtCDN, a
// redirect that leaves the endpoint is not followed and its response is returned (the
// HEAD of huggingface_hub's get_hf_file_metadata); relative redirects are always followed.
func (c *Client) do(ctx context.Context, method string, u *url.URL, header http.Header,
	stopAtCDN bool) (*http.Response, error) {
	hc := *c.opts.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for hop := 0; ; hop++ {
		req, err := c.newRequest(ctx, method, u)
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, redactTransportError(err)
		}
		if resp.StatusCode < 300 || resp.StatusCode > 399 || resp.Header.Get("Location") == "" {
			return resp, nil
		}
		next, err := u.Parse(resp.Header.Get("Location"))
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			resp.Body.Close()
			return nil, &Error{Code: CodeBadResponse, Msg: "redirect from " + shownURL(u) +
				" to an invalid location"}
		}
		if stopAtCDN && !c.sameOrigin(next) {
			return resp, nil
		}
		drain(resp)
		if hop >= maxRedirects {
			return nil, &Error{Code: CodeBadResponse, Msg: "too many redirects from " + shownURL(u)}
		}
		u = next
	}
}

// drain discards a little of a body and closes it so the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// statusError turns a failed response into an *Error, the way huggingface_hub's
// hf_raise_for_status reads X-Error-Code first and the status second.
func (c *Client) statusError(resp *http.Response, repo, file string) *Error {
	code := resp.Header.Get(headerErrorCode)
	what := "model " + repo
	if file != "" {
		what = repo + "/" + file
	}
	e := &Error{Repo: repo, File: file, Status: resp.StatusCode}
	switch {
	case code == "GatedRepo":
		e.Code, e.Msg = CodeAuthRequired, what+" is gated and this token has no access"
		if c.opts.Token == "" {
			e.Msg = what + " is gated and no token is set"
		}
	case code == "RevisionNotFound":
		e.Code, e.Msg = CodeNotFound, "revision not found for "+what
	case code == "EntryNotFound":
		e.Code, e.Msg = CodeNotFound, what+" not found"
	case code == "RepoNotFound" || resp.StatusCode == http.StatusNotFound:
		e.Code, e.Msg = CodeNotFound, what+" not found on the Hub"
		if resp.StatusCode == http.StatusUnauthorized && c.opts.Token == "" {
			e.Msg = what + " not found on the Hub, or private (no token is set)"
		}
	case resp.StatusCode == http.StatusUnauthorized:
		e.Code, e.Msg = CodeAuthRequired, what+" needs a token"
		if c.opts.Token != "" {
			e.Msg = "the Hub rejected the token for " + what
			e.Hint = "The token in HF_TOKEN (or the token file) is invalid or expired; " +
				"create a new read token on huggingface.co/settings/tokens."
		}
	case resp.StatusCode == http.StatusForbidden:
		e.Code, e.Msg = CodeAuthRequired, "access to "+what+" is forbidden"
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Code, e.Msg = CodeRateLimited, "the Hub is rate limiting requests for "+what
	case resp.StatusCode >= 500:
		e.Code, e.Msg = CodeServerError, fmt.Sprintf("the Hub answered HTTP %d for %s",
			resp.StatusCode, what)
	default:
		e.Code, e.Msg = CodeBadResponse, fmt.Sprintf("unexpected HTTP %d for %s",
			resp.StatusCode, what)
	}
	if m := resp.Header.Get(headerErrorMsg); m != "" && len(m) < 300 {
		e.Msg += " (" + scrub(m, c.opts.Token) + ")"
	}
	return e
}

// retryable reports whether an error is worth another try: network trouble, a stall,
// 429 and 5xx. Cancellation, a full disk, 4xx answers and integrity errors are final.
func retryable(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, context.Canceled) {
		return false
	}
	var he *Error
	if errors.As(err, &he) {
		switch he.Code {
		case CodeRateLimited, CodeServerError:
			return true
		case CodeOffline:
			return !unreachable(he.Err)
		}
		return he.Code == "" && he.Err != nil && retryable(he.Err)
	}
	return true // transport errors: reset, unexpected EOF, timeouts, refused
}

// unreachable reports a failure that retrying within seconds will not fix: no route, no
// name resolution, or nothing listening (huggingface_hub does not retry these either).
func unreachable(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}

// offlineError wraps a transport failure reaching the endpoint.
func offlineError(repo string, u *url.URL, err error) *Error {
	return &Error{Code: CodeOffline, Repo: repo, Msg: "cannot reach " + u.Host, Err: err}
}

// withRetry runs op up to Retry.Attempts times with exponential backoff, honouring a
// Retry-After the op reports. op returns the delay the server asked for, or 0.
func (c *Client) withRetry(ctx context.Context, repo string,
	op func(attempt int) (retryAfter time.Duration, err error)) error {
	p := c.opts.Retry
	delay := p.BaseDelay
	for attempt := 1; ; attempt++ {
		after, err := op(attempt)
		if err == nil {
			return nil
		}
		if isCancel(ctx, err) {
			return cancelled(repo, ctx.Err())
		}
		if attempt >= p.Attempts || !retryable(err) {
			return err
		}
		wait := delay
		if after > wait {
			wait = after
		}
		if p.MaxDelay > 0 && wait > p.MaxDelay {
			wait = p.MaxDelay
		}
		select {
		case <-ctx.Done():
			return cancelled(repo, ctx.Err())
		case <-c.sleep(wait):
		}
		delay *= 2
	}
}

// retryAfter parses a Retry-After header given in seconds.
func retryAfter(resp *http.Response) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// sibling is one file of a repository in the model info listing.
type sibling struct {
	Name   string `json:"rfilename"`
	Size   *int64 `json:"size"`
	BlobID string `json:"blobId"`
	LFS    *struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	} `json:"lfs"`
}

// modelInfo is the part of GET /api/models/{repo}/revision/{rev}?blobs=true Knobs reads.
type modelInfo struct {
	ID       string    `json:"id"`
	SHA      string    `json:"sha"`
	Gated    any       `json:"gated"`
	Siblings []sibling `json:"siblings"`
}

// fetchModelInfo asks the Hub for the commit a revision points to and the repository's
// file listing with sizes and LFS hashes.
func (c *Client) fetchModelInfo(ctx context.Context, r Ref) (*modelInfo, error) {
	u, err := url.Parse(c.opts.Endpoint + "/api/models/" + r.Repo + "/revision/" +
		url.PathEscape(r.Revision) + "?blobs=true")
	if err != nil {
		return nil, &Error{Code: CodeBadResponse, Msg: "invalid HF_ENDPOINT", Err: err}
	}
	var info *modelInfo
	err = c.withRetry(ctx, r.Repo, func(int) (time.Duration, error) {
		sctx, cancel := context.WithTimeout(ctx, c.opts.StallTimeout)
		defer cancel()
		resp, err := c.do(sctx, http.MethodGet, u, http.Header{"Accept": {"application/json"}}, false)
		if err != nil {
			if isCancel(ctx, err) {
				return 0, err
			}
			return 0, offlineError(r.Repo, u, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return retryAfter(resp), c.statusError(resp, r.Repo, "")
		}
		info = new(modelInfo)
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxInfoBytes)).Decode(info); err != nil {
			if isCancel(ctx, err) {
				return 0, err
			}
			return 0, &Error{Code: CodeBadResponse, Repo: r.Repo, Msg: "read model info", Err: err}
		}
		return 0, nil
	})
	if err != nil {
		return nil, err
	}
	if !commitRE.MatchString(info.SHA) {
		return nil, &Error{Code: CodeBadResponse, Repo: r.Repo,
			Msg: "model info has no valid commit hash (sha " + quoteShort(info.SHA) + ")"}
	}
	return info, nil
}

// fileMeta is what a HEAD on /{repo}/resolve/{commit}/{file} tells, as huggingface_hub's
// HfFileMetadata: the commit, the normalized ETag (the blob's name), the size and where
// the bytes are (the CDN when the Hub redirects there).
type fileMeta struct {
	Commit   string
	Etag     string
	Size     int64
	Location *url.URL
	// URL is the resolve URL at the commit. Every GET starts there and follows the Hub's
	// redirect afresh, so a retry after the CDN's signed address expired still works.
	URL *url.URL
}

// blobNameRE is what a normalized ETag may look like before it becomes a file name: a
// git sha1 or a sha256 in hex.
var blobNameRE = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// resolveURL is the Hub URL of one file at one commit.
func (c *Client) resolveURL(repo, commit, file string) (*url.URL, error) {
	return url.Parse(c.opts.Endpoint + "/" + repo + "/resolve/" + url.PathEscape(commit) +
		"/" + escapePath(file))
}

// escapePath escapes each segment of a slash-separated file name.
func escapePath(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// headFile fetches a file's metadata with retries.
func (c *Client) headFile(ctx context.Context, repo, commit, file string) (fileMeta, error) {
	u, err := c.resolveURL(repo, commit, file)
	if err != nil {
		return fileMeta{}, &Error{Code: CodeBadResponse, Repo: repo, Msg: "invalid HF_ENDPOINT", Err: err}
	}
	var m fileMeta
	err = c.withRetry(ctx, repo, func(int) (time.Duration, error) {
		sctx, cancel := context.WithTimeout(ctx, c.opts.StallTimeout)
		defer cancel()
		resp, err := c.do(sctx, http.MethodHead, u, nil, true)
		if err != nil {
			if isCancel(ctx, err) {
				return 0, err
			}
			return 0, offlineError(repo, u, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return retryAfter(resp), c.statusError(resp, repo, file)
		}
		m, err = parseFileMeta(resp, u)
		if err != nil {
			return 0, &Error{Code: CodeBadResponse, Repo: repo, File: file, Err: err,
				Msg: "metadata of " + repo + "/" + file}
		}
		return 0, nil
	})
	return m, err
}

func parseFileMeta(resp *http.Response, u *url.URL) (fileMeta, error) {
	m := fileMeta{Commit: resp.Header.Get(headerRepoCommit), Location: resp.Request.URL, URL: u}
	m.Etag = normalizeEtag(firstNonEmpty(resp.Header.Get(headerLinkedEtag), resp.Header.Get("ETag")))
	size := firstNonEmpty(resp.Header.Get(headerLinkedSize), resp.Header.Get("Content-Length"))
	n, err := strconv.ParseInt(size, 10, 64)
	if size == "" && resp.ContentLength >= 0 {
		n, err = resp.ContentLength, nil
	}
	if err != nil || n < 0 {
		return m, fmt.Errorf("no valid size (X-Linked-Size %q)", size)
	}
	m.Size = n
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 {
		next, err := u.Parse(loc)
		if err != nil {
			return m, fmt.Errorf("invalid redirect location")
		}
		m.Location = next
	}
	if !commitRE.MatchString(m.Commit) {
		return m, fmt.Errorf("no valid %s header", headerRepoCommit)
	}
	if !blobNameRE.MatchString(m.Etag) {
		return m, fmt.Errorf("ETag %s is not a git or sha256 hash", quoteShort(m.Etag))
	}
	return m, nil
}

// normalizeEtag strips the weak-validator prefix and the quotes of an ETag header, as
// huggingface_hub's _normalize_etag does.
func normalizeEtag(etag string) string {
	etag = strings.TrimPrefix(strings.TrimSpace(etag), "W/")
	return strings.Trim(etag, `"`)
}
