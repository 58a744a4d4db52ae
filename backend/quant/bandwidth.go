package quant

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// bandwidthBytes is the buffer MeasureReadBandwidth streams: 1 GiB, several
// times the last-level cache of current desktop and server CPUs (260 MiB on
// the largest Xeons), so the passes measure DRAM, not cache.
const bandwidthBytes = 1 << 30

// bandwidthPasses is the number of timed passes; the best one is reported.
const bandwidthPasses = 4

// MeasureReadBandwidth returns the machine's memory read bandwidth in GB/s
// (1e9 bytes per second) with all GOMAXPROCS goroutines reading disjoint
// parts of a 1 GiB buffer, best of a few passes. It takes about a second and
// maps the buffer only for the duration of the call. Other load on the
// machine lowers the result.
func MeasureReadBandwidth() float64 {
	buf, release := allocBuffer(bandwidthBytes / 8)
	defer release()
	workers := runtime.GOMAXPROCS(0)

	// Touch every page first so that page faults are not timed.
	parallelParts(buf, workers, func(part []uint64) {
		for i := range part {
			part[i] = uint64(i)
		}
	})

	best := time.Duration(1 << 62)
	for range bandwidthPasses {
		start := time.Now()
		parallelParts(buf, workers, func(part []uint64) { bandwidthSink.Add(sumWords(part)) })
		best = min(best, time.Since(start))
	}
	return float64(len(buf)*8) / best.Seconds() / 1e9
}

// bandwidthSink keeps the read loop's result alive so it is not optimized away.
var bandwidthSink atomic.Uint64

// parallelParts runs fn on workers contiguous parts of buf at once.
func parallelParts(buf []uint64, workers int, fn func([]uint64)) {
	var wg sync.WaitGroup
	per := (len(buf) + workers - 1) / workers
	for lo := 0; lo < len(buf); lo += per {
		part := buf[lo:min(lo+per, len(buf))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(part)
		}()
	}
	wg.Wait()
}

// sumWords reads every word of p with four independent sums, so the loop is
// limited by loads rather than by one dependency chain.
func sumWords(p []uint64) uint64 {
	var s0, s1, s2, s3 uint64
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := p[i : i+8 : i+8]
		s0 += v[0] + v[4]
		s1 += v[1] + v[5]
		s2 += v[2] + v[6]
		s3 += v[3] + v[7]
	}
	for ; i < len(p); i++ {
		s0 += p[i]
	}
	return s0 + s1 + s2 + s3
}
