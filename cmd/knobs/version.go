package main

import (
	"fmt"
	"io"
	"runtime"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func init() {
	register(&command{
		name:    "version",
		summary: "print the Knobs version",
		usage:   "version",
		run: func(args []string, stdout, stderr io.Writer) error {
			fmt.Fprintf(stdout, "knobs %s (%s, %s/%s)\n", version, runtime.Version(),
				runtime.GOOS, runtime.GOARCH)
			return nil
		},
	})
}
