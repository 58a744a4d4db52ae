package quant

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// TestInstructionCount runs MatMul on one 4-bit group-64 shape for counting
// instructions under valgrind, which, unlike timings on a shared machine, is
// repeatable: set KNOBS_ICOUNT=rows,cols,n and KNOBS_ICOUNT_ITERS, run the
// test binary under `valgrind --tool=cachegrind --cache-sim=no` with and
// without iterations, and divide the difference by iterations*rows*cols.
func TestInstructionCount(t *testing.T) {
	spec := os.Getenv("KNOBS_ICOUNT")
	if spec == "" {
		t.Skip("set KNOBS_ICOUNT=rows,cols,n to count instructions")
	}
	var v [3]int
	for i, f := range strings.SplitN(spec, ",", 3) {
		v[i], _ = strconv.Atoi(f)
	}
	iters, _ := strconv.Atoi(os.Getenv("KNOBS_ICOUNT_ITERS"))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(1, 2))
	m := randomAffine(rng, v[0], v[1], 4, 64, safetensors.BF16)
	xs := [2][]float32{randomVector(rng, v[2]*v[1], 1), randomVector(rng, v[2]*v[1], 1)}
	dst := make([]float32, v[2]*v[0])
	for i := range iters {
		MatMul(dst, m, xs[i%2], v[2])
	}
}
