//go:build unix

package quant

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// TestReportKernelBandwidth measures MatMul on the 4-bit group-64 shapes of
// Llama-3.2-1B against MeasureReadBandwidth in the same run
// (KNOBS_QUANT_REPORT=1; about a minute and 1.2 GB of memory). Each shape is
// replicated until the copies exceed 512 MiB and the calls rotate over them,
// so the weights come from DRAM as in a real decode step, not from the L3.
// CPU use is printed too: on a shared machine it shows how much of the two
// cores the run actually got.
func TestReportKernelBandwidth(t *testing.T) {
	if os.Getenv("KNOBS_QUANT_REPORT") == "" {
		t.Skip("set KNOBS_QUANT_REPORT=1 to measure kernel bandwidth")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	procs := runtime.GOMAXPROCS(0)
	c0, w0 := processCPU(), time.Now()
	before := MeasureReadBandwidth()
	fmt.Printf("read bandwidth: %.2f GB/s (GOMAXPROCS=%d; the probe got %.0f%% of the cores)\n",
		before, procs, 100*(processCPU()-c0).Seconds()/time.Since(w0).Seconds()/float64(procs))

	for _, s := range [][2]int{{8192, 2048}, {128256, 2048}} {
		base := randomAffine(rng, s[0], s[1], 4, 64, safetensors.BF16)
		copies := []*Affine{base}
		for total := base.WeightBytes(); total < 512<<20; total += base.WeightBytes() {
			c := *base
			c.weight = append([]uint32(nil), base.weight...)
			c.scales16 = append([]uint16(nil), base.scales16...)
			c.biases16 = append([]uint16(nil), base.biases16...)
			copies = append(copies, &c)
		}
		for _, n := range []int{1, 5} {
			xs := [2][]float32{randomVector(rng, n*s[1], 1), randomVector(rng, n*s[1], 1)}
			dst := make([]float32, n*s[0])
			MatMul(dst, copies[0], xs[0], n)

			calls := 0
			c0, w0 := processCPU(), time.Now()
			for time.Since(w0) < 3*time.Second || calls < 2*len(copies) {
				MatMul(dst, copies[calls%len(copies)], xs[calls%2], n)
				calls++
			}
			wall := time.Since(w0)
			cpu := processCPU() - c0
			bytes := float64(base.WeightBytes()) * float64(calls)
			gbs := bytes / wall.Seconds() / 1e9
			// What the run would reach with every core to itself, if the
			// kernel stays compute-bound: bytes per CPU-second times cores.
			perCPU := bytes / cpu.Seconds() / 1e9
			fmt.Printf("%dx%d n=%d: %.2f ms/call, %.2f GB/s of weights = %.0f%% of read bandwidth; "+
				"CPU %.0f%% of %d cores; %.2f GB/s per CPU-second\n", s[0], s[1], n,
				wall.Seconds()*1e3/float64(calls), gbs, 100*gbs/before,
				100*cpu.Seconds()/wall.Seconds()/float64(procs), procs, perCPU)
		}
	}
	fmt.Printf("read bandwidth after: %.2f GB/s\n", MeasureReadBandwidth())
}

// processCPU returns the user and system CPU time of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
