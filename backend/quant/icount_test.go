package quant

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// TestInstructionCount runs one shape KNOBS_ICOUNT_ITERS times for counting
// under valgrind --tool=cachegrind (KNOBS_ICOUNT=rows,cols,n).
func TestInstructionCount(t *testing.T) {
	spec := os.Getenv("KNOBS_ICOUNT")
	if spec == "" {
		t.Skip()
	}
	var v [3]int
	for i, f := range splitComma(spec) {
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

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := range len(s) + 1 {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
