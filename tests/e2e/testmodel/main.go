// Command testmodel writes the tiny test model of backend/lab/labtest into a directory,
// for the end-to-end tests: go run ./tests/e2e/testmodel DIR.
package main

import (
	"fmt"
	"os"

	"github.com/knobs-app/knobs/backend/lab/labtest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testmodel DIR")
		os.Exit(2)
	}
	if err := labtest.WriteModel(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "testmodel:", err)
		os.Exit(1)
	}
}
