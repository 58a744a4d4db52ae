package hub

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Ref is a parsed model reference: either a local directory (Dir set) or a Hub
// repository with a revision (Repo and Revision set).
type Ref struct {
	// Dir is the absolute path of a local model directory, or "".
	Dir string
	// Repo is the repository id, "org/name" (or a bare "name" for the Hub's legacy
	// top-level models).
	Repo string
	// Revision is a branch, tag or commit hash; "main" when the reference gave none.
	Revision string
}

// String returns the reference in the form ParseRef accepts.
func (r Ref) String() string {
	if r.Dir != "" {
		return r.Dir
	}
	if r.Revision == "" || r.Revision == "main" {
		return r.Repo
	}
	return r.Repo + "@" + r.Revision
}

// repoPartRE is what the Hub allows in one part of a repository id.
var repoPartRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)

// revisionRE is what Knobs accepts as a revision: branch and tag names (which may
// contain slashes, like refs/pr/1) and commit hashes.
var revisionRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// commitRE matches a full commit hash, as huggingface_hub's REGEX_COMMIT_HASH.
var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ParseRef parses a model reference. A reference is a local directory when it starts
// with "/", "./", "../" or "~", or names an existing directory (mlx-lm's rule);
// otherwise it is "org/name" or "org/name@revision". The empty reference is
// DefaultModel.
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultModel
	}
	if looksLikePath(s) || isDir(s) {
		abs, err := filepath.Abs(expandHome(s))
		if err != nil {
			return Ref{}, &Error{Code: CodeInvalidRef, Msg: "model directory " + s, Err: err}
		}
		return Ref{Dir: abs}, nil
	}
	repo, rev, _ := strings.Cut(s, "@")
	if rev == "" {
		rev = "main"
	}
	if err := validateRepoID(repo); err != nil {
		return Ref{}, err
	}
	if !revisionRE.MatchString(rev) || strings.Contains(rev, "..") {
		return Ref{}, &Error{Code: CodeInvalidRef, Repo: repo, Msg: "invalid revision " +
			quoteShort(rev) + ": allowed are branch or tag names and commit hashes"}
	}
	return Ref{Repo: repo, Revision: rev}, nil
}

func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") ||
		strings.HasPrefix(s, "../") || strings.HasPrefix(s, "~") || s == "." || s == ".." ||
		strings.HasPrefix(s, `\`) || filepath.IsAbs(s)
}

func isDir(s string) bool {
	fi, err := os.Stat(s)
	return err == nil && fi.IsDir()
}

// validateRepoID checks a repository id the way the Hub's validators do: one or two
// parts, each of letters, digits, '.', '_' and '-', not starting with a separator,
// without "--" or ".." (the cache uses "--" to join the parts).
func validateRepoID(repo string) error {
	parts := strings.Split(repo, "/")
	ok := len(parts) >= 1 && len(parts) <= 2
	for _, p := range parts {
		ok = ok && repoPartRE.MatchString(p) && !strings.Contains(p, "--") &&
			!strings.Contains(p, "..") && !strings.HasSuffix(p, ".") && !strings.HasSuffix(p, "-")
	}
	if !ok {
		return &Error{Code: CodeInvalidRef, Repo: "", Msg: "invalid model reference " +
			quoteShort(repo) + ": expected a directory or a repository id like " + DefaultModel}
	}
	return nil
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 120
	if len(s) > max {
		s = s[:max] + "…"
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
