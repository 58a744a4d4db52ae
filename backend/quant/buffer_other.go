//go:build !unix

package quant

// allocBuffer allocates n words on the heap where anonymous mappings are not
// used; release leaves the buffer to the garbage collector.
func allocBuffer(n int) (buf []uint64, release func()) { return make([]uint64, n), func() {} }
