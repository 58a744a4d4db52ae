package quant

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// benchBandwidth is MeasureReadBandwidth, measured once per benchmark run.
var benchBandwidth = sync.OnceValue(MeasureReadBandwidth)

// BenchmarkMatMulBandwidth runs the 4-bit group-64 gate/up and lm_head
// shapes of Llama-3.2-1B with each 4-bit kernel, for one vector and a batch
// of five, and reports the weight bytes read per second against the
// machine's read bandwidth measured in the same run (bw-fraction). Each
// shape is replicated until the copies exceed 640 MiB, 2.5 times the 260 MiB
// L3 of the development VM, and the calls rotate over them, so the weights
// come from DRAM as in a decode step. Mind the load: on a shared machine the
// batch of five is compute-bound and its numbers follow the CPU it gets.
//
//	go test -run '^$' -bench MatMulBandwidth -benchtime 3s ./backend/quant/
func BenchmarkMatMulBandwidth(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"portable", "avx2", "avx512", "vnni"}
	kernels := names[:asmKernel+1]
	for _, s := range [][2]int{{8192, 2048}, {128256, 2048}} {
		copies := replicate(randomAffine(rng, s[0], s[1], 4, 64, safetensors.BF16), 640<<20)
		for _, n := range []int{1, 5} {
			xs := [2][]float32{randomVector(rng, n*s[1], 1), randomVector(rng, n*s[1], 1)}
			dst := make([]float32, n*s[0])
			for _, kernel := range kernels {
				name := fmt.Sprintf("%s/%dx%d/n=%d", kernel, s[0], s[1], n)
				b.Run(name, func(b *testing.B) {
					defer func(saved int) { asmKernel = saved }(asmKernel)
					asmKernel = slices.Index(names, kernel)
					bw := benchBandwidth()
					b.SetBytes(copies[0].WeightBytes())
					i := 0
					for b.Loop() {
						MatMul(dst, copies[i%len(copies)], xs[i%2], n)
						i++
					}
					gbs := float64(copies[0].WeightBytes()) * float64(b.N) /
						b.Elapsed().Seconds() / 1e9
					b.ReportMetric(gbs, "GB/s")
					b.ReportMetric(bw, "bw-GB/s")
					b.ReportMetric(gbs/bw, "bw-fraction")
				})
			}
		}
	}
}

// replicate returns m and copies of its codes, scales and biases, at least
// total bytes in all.
func replicate(m *Affine, total int64) []*Affine {
	copies := []*Affine{m}
	for sum := m.WeightBytes(); sum < total; sum += m.WeightBytes() {
		c := *m
		c.weight = append([]uint32(nil), m.weight...)
		c.scales16 = append([]uint16(nil), m.scales16...)
		c.biases16 = append([]uint16(nil), m.biases16...)
		if m.packed != nil {
			c.packed = pack(&c)
		}
		copies = append(copies, &c)
	}
	return copies
}
