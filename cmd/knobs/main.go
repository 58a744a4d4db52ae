// Command knobs is the headless command line over the Knobs backend: it generates,
// compares, tokenizes, benchmarks, pulls models and manages history and presets
// without the desktop window.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand of the CLI. Each lives in its own file and registers itself
// from init().
type command struct {
	name    string
	summary string
	// usage is the synopsis printed by "knobs help NAME", without the leading "knobs ".
	usage string
	run   func(args []string, stdout, stderr io.Writer) error
	// hidden keeps the command out of the "knobs help" list (developer tools); it
	// still runs, and "knobs help NAME" still shows its usage.
	hidden bool
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("knobs: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by how the command was called; main exits with 2.
var errUsage = errors.New("usage")

// usageErrorf returns an error that wraps errUsage with a message for the user.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// runMain dispatches args to a subcommand and returns the process exit code:
// 0 on success, 2 for a usage error, 1 for any other error.
func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	if name == "-h" || name == "--help" {
		name = "help"
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "knobs: unknown command %q; run \"knobs help\" for the list\n", name)
		return 2
	}
	err := cmd.run(rest, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "knobs %s: %s\n", name, strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	default:
		fmt.Fprintf(stderr, "knobs %s: %s\n", name, userMessage(err))
		return 1
	}
}

// newFlagSet returns a flag set for a subcommand that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("knobs "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs, turning flag errors into usage errors. Flags may
// follow positional arguments ("knobs tokenize TEXT --json").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s", errUsage, err.Error())
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// oneArg parses args into fs and returns the one positional argument the subcommand
// takes; any other count is a usage error saying want.
func oneArg(fs *flag.FlagSet, args []string, want string) (string, error) {
	positional, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(positional) != 1 {
		return "", usageErrorf("%s", want)
	}
	return positional[0], nil
}

// groupHelp handles a command with subcommands called without one or with -h or
// --help: it prints usage on stdout and reports handled. Without any argument it also
// returns a usage error saying missing.
func groupHelp(args []string, stdout io.Writer, usage, missing string) (handled bool, err error) {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		return false, nil
	}
	fmt.Fprintln(stdout, usage)
	if len(args) == 0 {
		return true, usageErrorf("%s", missing)
	}
	return true, nil
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Knobs: see what the sampling knobs do, on a local model.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: knobs COMMAND [flags]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n, c := range commands {
		if !c.hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"knobs help COMMAND\" for a command's flags.")
}

func init() {
	register(&command{
		name:    "help",
		summary: "show the commands, or one command's usage",
		usage:   "help [COMMAND]",
		run: func(args []string, stdout, stderr io.Writer) error {
			if len(args) == 0 {
				printHelp(stdout)
				return nil
			}
			c, ok := commands[args[0]]
			if !ok {
				return usageErrorf("unknown command %q", args[0])
			}
			fmt.Fprintf(stdout, "Usage: knobs %s\n\n%s\n", c.usage, c.summary)
			// Subcommands print their flags when called with -h.
			_ = c.run([]string{"-h"}, stdout, stdout)
			return nil
		},
	})
}
