// Command tinynames prints the names of modeltest's tiny test models, one a line, for
// the fixture scripts.
package main

import (
	"fmt"

	"github.com/knobs-app/knobs/backend/model/modeltest"
)

func main() {
	for _, n := range modeltest.TinyNames() {
		fmt.Println(n)
	}
}
