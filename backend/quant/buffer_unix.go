//go:build unix

package quant

import (
	"syscall"
	"unsafe"
)

// allocBuffer maps n zeroed anonymous words outside the Go heap, so a large
// buffer (the bandwidth probe's, a packed matrix) neither grows the heap
// target nor waits for the collector to be returned; release unmaps it. It
// falls back to the heap if mapping fails.
func allocBuffer(n int) (buf []uint64, release func()) {
	b, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, n), func() {}
	}
	buf = unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), n)
	return buf, func() { syscall.Munmap(b) }
}
