package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/knobs-app/knobs/backend/hub"
)

func init() {
	register(&command{
		name:    "pull",
		summary: "download a model from the Hugging Face Hub into the shared cache",
		usage:   "pull [--json] [--quiet] [REPO[@REV]]   (default " + hub.DefaultModel + ")",
		run:     runPull,
	})
}

// runPull downloads a model and prints the snapshot directory on stdout (or the Local
// as JSON), with a progress bar on stderr. Ctrl-C stops the download; the next pull
// resumes it.
func runPull(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pull", stderr)
	asJSON := fs.Bool("json", false, "print the model as one JSON object")
	quiet := fs.Bool("quiet", false, "no progress output")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErrorf("give one model reference, got %d", len(pos))
	}
	ref := hub.DefaultModel
	if len(pos) == 1 {
		ref = pos[0]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *progressBar
	if !*quiet {
		bar = newProgressBar(stderr)
	}
	local, err := hub.NewClient(hub.Options{}).Pull(ctx, ref, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(local)
	}
	fmt.Fprintln(stdout, local.Path)
	return nil
}

// ensureModel returns the model ref names (a directory or REPO[@REV]), downloading it
// first, with a progress bar on stderr, when it is not complete in the cache. Commands
// that take --model (generate, compare) call it so that a repo id works on first use.
func ensureModel(ctx context.Context, ref string, stderr io.Writer) (hub.Local, error) {
	bar := newProgressBar(stderr)
	local, err := hub.NewClient(hub.Options{}).Ensure(ctx, ref, bar.update)
	bar.finish()
	return local, err
}

// progressBar draws hub.Progress events on stderr: one redrawn line on a terminal, a
// line per finished file otherwise (logs and CI).
type progressBar struct {
	w        io.Writer
	terminal bool
	lastFile string
	drawn    bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, terminal: isTerminal(w)}
}

// isTerminal reports whether w is a character device (a terminal, not a file or pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (b *progressBar) update(p hub.Progress) {
	if b == nil {
		return
	}
	if p.Phase == hub.PhaseResolving {
		if b.terminal {
			fmt.Fprintf(b.w, "\r\033[Kresolving %s…", p.Repo)
			b.drawn = true
		}
		return
	}
	if !b.terminal {
		if p.Phase == hub.PhaseDownloading && p.File != "" && p.FileDone == p.FileTotal &&
			p.File != b.lastFile {
			b.lastFile = p.File
			fmt.Fprintf(b.w, "[%d/%d] %s %s\n", p.FileIndex, p.FileCount, p.File,
				hub.FormatBytes(p.FileTotal))
		}
		return
	}
	fmt.Fprint(b.w, "\r\033[K"+progressLine(p, 28))
	b.drawn = true
}

// progressLine renders one event: bar, bytes, rate and time left.
func progressLine(p hub.Progress, width int) string {
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	filled := min(int(frac*float64(width)), width)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	line := fmt.Sprintf("[%s] %3.0f%% %s / %s", bar, 100*frac, hub.FormatBytes(p.Done),
		hub.FormatBytes(p.Total))
	if p.BytesPerSec > 0 {
		line += fmt.Sprintf("  %s/s", hub.FormatBytes(int64(p.BytesPerSec)))
	}
	if p.ETA > 0 {
		line += "  " + p.ETA.Round(time.Second).String() + " left"
	}
	if p.Retry > 0 {
		line += fmt.Sprintf("  (retry %d)", p.Retry)
	}
	if p.File != "" {
		line += "  " + p.File
	}
	return line
}

// finish ends the redrawn line so that what follows starts on a fresh one.
func (b *progressBar) finish() {
	if b != nil && b.drawn {
		fmt.Fprintln(b.w)
	}
}
