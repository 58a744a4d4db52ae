//go:build unix

package quant

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// TestCPUCost prints the CPU time per weight element of MatMul on the 4-bit
// group-64 shapes with GOMAXPROCS=1 (KNOBS_CPUCOST=1). CPU time, unlike wall
// time, hardly depends on how many other processes share the cores, which
// makes it the better yardstick for comparing kernel versions on a busy
// machine (caches shared with them still add noise).
func TestCPUCost(t *testing.T) {
	if os.Getenv("KNOBS_CPUCOST") == "" {
		t.Skip("set KNOBS_CPUCOST=1 to measure")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][2]int{{512, 2048}, {8192, 2048}, {2048, 8192}} {
		m := randomAffine(rng, s[0], s[1], 4, 64, safetensors.BF16)
		for _, n := range []int{1, 5, 9} {
			xs := [2][]float32{randomVector(rng, n*s[1], 1), randomVector(rng, n*s[1], 1)}
			dst := make([]float32, n*s[0])
			MatMul(dst, m, xs[0], n)
			iters := max(2, 100_000_000/(s[0]*s[1]*n))
			c0, w0 := processCPU(), time.Now()
			for i := range iters {
				MatMul(dst, m, xs[i%2], n)
			}
			c := processCPU() - c0
			w := time.Since(w0)
			el := float64(s[0] * s[1] * iters)
			fmt.Printf("%dx%d n=%d: %.3f cpu-ns/element, %.3f cpu-ns/element/vector (wall %.3f)\n",
				s[0], s[1], n, float64(c)/el, float64(c)/el/float64(n), float64(w)/el)
		}
	}
}
