// Command testmodel writes a small model for the end-to-end tests into a directory and
// prints the model's directory: the built-in demo model of backend/demomodel (readable
// text, the default) or, with -random, the random-weight model of backend/lab/labtest.
//
//	go run ./tests/e2e/testmodel [-random] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/knobs-app/knobs/backend/demomodel"
	"github.com/knobs-app/knobs/backend/lab/labtest"
)

func main() {
	random := flag.Bool("random", false, "write labtest's random-weight model instead of the demo")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: testmodel [-random] DIR")
		os.Exit(2)
	}
	dir, err := write(flag.Arg(0), *random)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testmodel:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
}

func write(dir string, random bool) (string, error) {
	if random {
		return dir, labtest.WriteModel(dir)
	}
	return demomodel.ExtractTo(dir)
}
