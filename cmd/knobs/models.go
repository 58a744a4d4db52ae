package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/knobs-app/knobs/backend/hub"
)

func init() {
	register(&command{
		name:    "models",
		summary: "list or remove downloaded models (the Hugging Face cache, shared with mlx-lm)",
		usage:   "models list [--json] [DIR...] | models rm REPO[@REV]",
		run:     runModels,
	})
}

// modelsUsage is the help of "knobs models".
const modelsUsage = `Usage: knobs models list [--json] [DIR...]
       knobs models rm REPO[@REV]

list  the cached models (and the model directories given), with their
      size and whether each is a complete checkpoint Knobs can load
rm    delete a model from the cache: REPO removes every revision,
      REPO@REV one snapshot and the files only it uses`

func runModels(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "help" {
		// "knobs models help" asks for the same help as -h.
		args = append([]string{"-h"}, args[1:]...)
	}
	if handled, err := groupHelp(args, stdout, modelsUsage,
		"give a subcommand: list or rm"); handled {
		return err
	}
	switch args[0] {
	case "list", "ls":
		return runModelsList(args[1:], stdout, stderr)
	case "rm", "remove":
		return runModelsRemove(args[1:], stdout, stderr)
	}
	return usageErrorf("unknown subcommand %q; use list or rm", args[0])
}

func runModelsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models list", stderr)
	asJSON := fs.Bool("json", false, "print a JSON array of models")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	c := hub.NewClient(hub.Options{LocalDirs: dirs})
	models, err := c.List()
	if err != nil {
		return err
	}
	if *asJSON {
		if models == nil {
			models = []hub.Local{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(models)
	}
	if len(models) == 0 {
		fmt.Fprintf(stderr, "no models in %s; run \"knobs pull\" to download %s\n",
			c.CacheDir(), hub.DefaultModel)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tREVISION\tSIZE\tSTATUS")
	for _, m := range models {
		rev := shortRevision(m.Revision)
		if len(m.Refs) > 0 {
			rev += " (" + strings.Join(m.Refs, ", ") + ")"
		}
		if rev == "" {
			rev = "-"
		}
		status := "complete"
		if !m.Complete {
			status = "incomplete: " + m.Problem
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name(), rev, hub.FormatBytes(m.Size), status)
	}
	return tw.Flush()
}

// shortRevision abbreviates a commit hash the way git shows it.
func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func runModelsRemove(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models rm", stderr)
	refs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return usageErrorf("give the model to remove, e.g. knobs models rm %s", hub.DefaultModel)
	}
	c := hub.NewClient(hub.Options{})
	for _, ref := range refs {
		if err := c.Remove(ref); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "removed %s from %s\n", ref, c.CacheDir())
	}
	return nil
}
