package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/knobs-app/knobs/backend/store"
)

func init() {
	register(&command{
		name:    "presets",
		summary: "list, show, save, delete, export or import sampling presets",
		usage: "presets list [--all] [--json] | presets show NAME [--json] | " +
			"presets save NAME (--regime key=value,... | knob flags) [--description TEXT] | " +
			"presets delete NAME | presets hide NAME | presets unhide NAME | " +
			"presets export FILE [NAME...] | presets import FILE",
		run: runPresets,
	})
}

func runPresets(args []string, stdout, stderr io.Writer) error {
	usage := "Usage: knobs presets " +
		"list|show|save|delete|hide|unhide|export|import [--data-dir DIR]"
	if handled, err := groupHelp(args, stdout, usage, "give a subcommand: list, show, "+
		"save, delete, hide, unhide, export or import"); handled {
		return err
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list", "ls":
		return runPresetsList(rest, stdout, stderr)
	case "show":
		return runPresetsShow(rest, stdout, stderr)
	case "save":
		return runPresetsSave(rest, stdout, stderr)
	case "delete", "rm", "hide", "unhide":
		return runPresetsByName(sub, rest, stdout, stderr)
	case "export":
		return runPresetsExport(rest, stdout, stderr)
	case "import":
		return runPresetsImport(rest, stdout, stderr)
	}
	return usageErrorf("unknown subcommand %q", sub)
}

func runPresetsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets list", stderr)
	all := fs.Bool("all", false, "include hidden presets")
	asJSON := fs.Bool("json", false, "print a JSON array")
	dataDir := addDataDirFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	var ps []store.Preset
	err := withStore(*dataDir, stderr, func(st *store.Store) error {
		var err error
		ps, err = st.Presets(*all)
		return err
	})
	if err != nil {
		return err
	}
	if *asJSON {
		if ps == nil {
			ps = []store.Preset{}
		}
		return writeJSON(stdout, ps)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tKNOBS\tNOTES")
	for _, p := range ps {
		kind := "user"
		if p.Builtin != "" {
			kind = "built-in"
		}
		notes := ""
		if p.Favourite {
			notes += "★ "
		}
		if p.Hidden {
			notes += "hidden"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, kind, describeRegime(p.Regime), notes)
	}
	return tw.Flush()
}

// presetName parses args into fs and reads the one NAME argument.
func presetName(fs *flag.FlagSet, args []string) (string, error) {
	return oneArg(fs, args, "give one preset name (quote names with spaces)")
}

// withPreset opens the store of dataDir and calls fn with the preset called name.
func withPreset(dataDir, name string, stderr io.Writer,
	fn func(*store.Store, store.Preset) error) error {
	return withStore(dataDir, stderr, func(st *store.Store) error {
		p, err := st.PresetByName(name)
		if err != nil {
			return err
		}
		return fn(st, p)
	})
}

func runPresetsShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets show", stderr)
	asJSON := fs.Bool("json", false, "print the preset as JSON")
	dataDir := addDataDirFlag(fs)
	name, err := presetName(fs, args)
	if err != nil {
		return err
	}
	return withPreset(*dataDir, name, stderr, func(_ *store.Store, p store.Preset) error {
		if *asJSON {
			return writeJSON(stdout, p)
		}
		fmt.Fprintf(stdout, "%s: %s\n", p.Name, describeRegime(p.Regime))
		if p.Description != "" {
			fmt.Fprintln(stdout, p.Description)
		}
		return nil
	})
}

func runPresetsSave(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets save", stderr)
	regime := fs.String("regime", "", "the knobs as key=value,... (instead of knob flags)")
	description := fs.String("description", "", "what the preset is for")
	maxTokens := fs.Int("max-tokens", 0, "tokens per column; 0 leaves it to the comparison")
	knobs := addKnobFlags(fs)
	dataDir := addDataDirFlag(fs)
	name, err := presetName(fs, args)
	if err != nil {
		return err
	}
	var r store.Regime
	switch {
	case *regime != "" && len(knobs.set()) > 0:
		return usageErrorf("give either --regime or knob flags, not both")
	case *regime != "":
		if r, err = parseRegime(*regime); err != nil {
			return err
		}
	default:
		if r.Params, err = knobs.params(); err != nil {
			return err
		}
	}
	if *maxTokens != 0 {
		r.MaxTokens = *maxTokens
	}
	return withStore(*dataDir, stderr, func(st *store.Store) error {
		p, err := st.SavePreset(name, *description, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "saved preset %q: %s\n", p.Name, describeRegime(p.Regime))
		return nil
	})
}

func runPresetsByName(verb string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets "+verb, stderr)
	dataDir := addDataDirFlag(fs)
	name, err := presetName(fs, args)
	if err != nil {
		return err
	}
	return withPreset(*dataDir, name, stderr, func(st *store.Store, p store.Preset) error {
		done := map[string]string{"hide": "hidden:", "unhide": "shown again:"}[verb]
		var err error
		switch verb {
		case "hide", "unhide":
			err = st.SetHidden(p.ID, verb == "hide")
		default:
			err, done = st.DeletePreset(p.ID), "deleted"
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s preset %q\n", done, p.Name)
		return nil
	})
}

func runPresetsExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets export", stderr)
	dataDir := addDataDirFlag(fs)
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) == 0 {
		return usageErrorf("give the file to write, then optionally preset names " +
			"(default: every user preset)")
	}
	return withStore(*dataDir, stderr, func(st *store.Store) error {
		n, err := st.ExportPresets(positional[0], positional[1:])
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d presets to %s\n", n, positional[0])
		return nil
	})
}

func runPresetsImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("presets import", stderr)
	dataDir := addDataDirFlag(fs)
	file, err := oneArg(fs, args, "give the preset file to import")
	if err != nil {
		return err
	}
	return withStore(*dataDir, stderr, func(st *store.Store) error {
		res, err := st.ImportPresets(file)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "imported %d presets\n", len(res.Added))
		for from, to := range res.Renamed {
			fmt.Fprintf(stderr, "  %q was saved as %q (the name was taken)\n", from, to)
		}
		return nil
	})
}
