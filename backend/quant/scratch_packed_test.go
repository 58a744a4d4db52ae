package quant

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/safetensors"
)

func TestScratchPacked(t *testing.T) {
	if os.Getenv("KNOBS_SCRATCH") == "" {
		t.Skip()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][2]int{{64, 512}, {64, 2048}, {2048, 2048}, {512, 8192}, {8192, 2048}} {
		rows, cols := s[0], s[1]
		m := randomAffine(rng, rows, cols, 4, 64, safetensors.BF16)
		for _, nb := range []int{1, 5} {
			x := randomVector(rng, nb*cols, 1)
			xsum := make([]float32, nb*cols/64)
			digits := make([]int32, cols/8*nb*packedDigits)
			factors := make([]float32, cols/64*nb*2)
			for v := range nb {
				vectorDigits(digits, factors, x, xsum, nb, cols, 64, v, 0, cols/64)
			}
			dst := make([]float32, nb*rows)
			iters := max(1, 300_000_000/(rows*cols*nb))
			t0 := time.Now()
			for range iters {
				affine4PackedRows(m, dst, digits, factors, nb, 0, rows)
			}
			ns := float64(time.Since(t0)) / float64(rows*cols) / float64(iters) * 1024
			fmt.Printf("%dx%d nb=%d: %.1f ns per 1024 weights, %.0f cycles@2.9\n", rows, cols, nb, ns, ns*2.9)
		}
	}
}
