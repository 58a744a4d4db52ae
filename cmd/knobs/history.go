package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/knobs-app/knobs/backend/lab"
	"github.com/knobs-app/knobs/backend/store"
)

func init() {
	register(&command{
		name:    "history",
		summary: "list, show, replay or delete recorded runs",
		usage: "history list [--search TEXT] [--model M] [--preset NAME] [--since DATE] " +
			"[--until DATE] [--limit N] [--json] | history show ID [--json] | " +
			"history replay ID [--json] | history delete ID | history clear",
		run: runHistory,
	})
}

func runHistory(args []string, stdout, stderr io.Writer) error {
	usage := "Usage: knobs history list|show ID|replay ID|delete ID|clear " +
		"[--json] [--data-dir DIR]"
	if handled, err := groupHelp(args, stdout, usage,
		"give a subcommand: list, show, replay, delete or clear"); handled {
		return err
	}
	switch args[0] {
	case "list", "ls":
		return runHistoryList(args[1:], stdout, stderr)
	case "show":
		return runHistoryShow(args[1:], stdout, stderr)
	case "replay":
		return runHistoryReplay(args[1:], stdout, stderr)
	case "delete", "rm":
		return runHistoryDelete(args[1:], stdout, stderr)
	case "clear":
		return runHistoryClear(args[1:], stdout, stderr)
	}
	return usageErrorf("unknown subcommand %q; use list, show, replay, delete or clear", args[0])
}

// parseDate reads a --since/--until value: a date (2006-01-02, local time) or an
// RFC 3339 timestamp.
func parseDate(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErrorf("%s %q: use a date like 2026-05-01 or a time like "+
		"2026-05-01T14:00:00Z", flagName, s)
}

func runHistoryList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history list", stderr)
	var q store.Query
	fs.StringVar(&q.Text, "search", "", "runs whose prompt contains this text")
	fs.StringVar(&q.Model, "model", "", "runs whose model id or path contains this text")
	fs.StringVar(&q.Preset, "preset", "", "runs with a column from this preset")
	since := fs.String("since", "", "runs from this date on (2026-05-01)")
	until := fs.String("until", "", "runs before this date")
	fs.IntVar(&q.Limit, "limit", store.DefaultListLimit, "most runs to list")
	asJSON := fs.Bool("json", false, "print a JSON array")
	dataDir := addDataDirFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if q.Since, err = parseDate("--since", *since); err != nil {
		return err
	}
	if q.Until, err = parseDate("--until", *until); err != nil {
		return err
	}
	var runs []store.Run
	err = withStore(*dataDir, stderr, func(st *store.Store) error {
		runs, err = st.ListRuns(q)
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		if runs == nil {
			runs = []store.Run{}
		}
		return writeJSON(stdout, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(stderr, "no runs recorded (that match)")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN\tKIND\tSTATUS\tMODEL\tCOLUMNS\tPROMPT")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID,
			r.CreatedAt.Local().Format("2006-01-02 15:04"), r.Kind, r.Status,
			shorten(r.Model.Label(), 40), columnNames(r.Columns), shorten(oneLine(r.Prompt), 40))
	}
	return tw.Flush()
}

func columnNames(cols []store.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Regime.Name
		if names[i] == "" {
			names[i] = "temp=" + strconv.FormatFloat(c.Regime.Temperature, 'g', -1, 64)
		}
	}
	return shorten(strings.Join(names, ", "), 40)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// runID parses args into fs and reads the one run ID argument.
func runID(fs *flag.FlagSet, args []string) (int64, error) {
	arg, err := oneArg(fs, args, "give one run ID (see \"knobs history list\")")
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("%q is not a run ID", arg)
	}
	return id, nil
}

// withRun opens the store of dataDir and calls fn with it and the run recorded as id.
func withRun(dataDir string, id int64, stderr io.Writer,
	fn func(*store.Store, *store.Run) error) error {
	return withStore(dataDir, stderr, func(st *store.Store) error {
		r, err := st.GetRun(id)
		if err != nil {
			return err
		}
		return fn(st, r)
	})
}

func runHistoryShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history show", stderr)
	asJSON := fs.Bool("json", false, "print the run as JSON, per-token data included")
	dataDir := addDataDirFlag(fs)
	id, err := runID(fs, args)
	if err != nil {
		return err
	}
	return withRun(*dataDir, id, stderr, func(_ *store.Store, r *store.Run) error {
		if *asJSON {
			return writeJSON(stdout, r)
		}
		printRun(stdout, r)
		return nil
	})
}

// printRun writes a recorded run for people: its header, then each column's knobs and text.
func printRun(w io.Writer, r *store.Run) {
	fmt.Fprintf(w, "run %d, %s, %s, %s\n", r.ID, r.Kind, r.Status,
		r.CreatedAt.Local().Format(time.DateTime))
	fmt.Fprintf(w, "model %s (hash %s)\n", r.Model.Label(), shorten(r.Model.Hash, 13))
	fmt.Fprintf(w, "%s prompt (%d tokens): %s\n", r.Mode, len(r.PromptTokens), r.Prompt)
	if r.System != "" {
		fmt.Fprintf(w, "system: %s\n", r.System)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	for _, c := range r.Columns {
		name := c.Regime.Name
		if name == "" {
			name = "regime " + strconv.Itoa(c.Index+1)
		}
		fmt.Fprintf(w, "\n== %d. %s: %s | %s, %d tokens, stop: %s\n", c.Index+1, name,
			describeRegime(c.Regime), c.Status, c.Stats.Tokens, c.StopReason)
		fmt.Fprintln(w, c.Text)
	}
}

func runHistoryReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history replay", stderr)
	asJSON := fs.Bool("json", false, "print the replay report as JSON")
	dataDir := addDataDirFlag(fs)
	id, err := runID(fs, args)
	if err != nil {
		return err
	}
	return withRun(*dataDir, id, stderr, func(st *store.Store, run *store.Run) error {
		rep, err := replay(st, run, stderr)
		if err != nil {
			return err
		}
		if *asJSON {
			rep.Result = nil // the tokens are in "history show"; the report stays readable
			if err := writeJSON(stdout, rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(stdout, rep.Message)
		}
		if !rep.Identical {
			return errReplayDiffers
		}
		return nil
	})
}

// replay loads the run's model into a new lab, pulling the recorded revision first (with
// a progress bar on stderr) if it is gone, and replays the run.
func replay(st *store.Store, run *store.Run, stderr io.Writer) (*lab.ReplayReport, error) {
	ctx, stop := interruptible()
	defer stop()
	l := lab.New(labOptions(st))
	defer l.Close()
	if run.Model.Ref != "" && run.Model.Ref != lab.DemoRef {
		ref := run.Model.Ref
		if run.Model.Revision != "" {
			ref += "@" + run.Model.Revision
		}
		local, err := ensureModel(ctx, ref, stderr)
		if err != nil {
			return nil, err
		}
		if err := l.LoadLocal(ctx, local); err != nil {
			return nil, err
		}
	}
	return l.Replay(ctx, run.ID, nil)
}

// errReplayDiffers makes a replay that differs exit with status 1 after its report.
var errReplayDiffers = replayError{}

type replayError struct{}

func (replayError) Error() string     { return "the replay differs from the recorded run" }
func (replayError) ErrorCode() string { return "replay_differs" }

func runHistoryDelete(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history delete", stderr)
	dataDir := addDataDirFlag(fs)
	id, err := runID(fs, args)
	if err != nil {
		return err
	}
	return withStore(*dataDir, stderr, func(st *store.Store) error {
		if err := st.DeleteRun(id); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "deleted run %d\n", id)
		return nil
	})
}

func runHistoryClear(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history clear", stderr)
	dataDir := addDataDirFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	return withStore(*dataDir, stderr, func(st *store.Store) error {
		n, err := st.ClearRuns()
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "deleted %d runs\n", n)
		return nil
	})
}
