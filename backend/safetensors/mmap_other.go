//go:build !unix

package safetensors

import (
	"io"
	"os"
)

// mapFile reads the whole file into memory where mmap is not available.
func mapFile(f *os.File, size int64) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// unmapFile lets the garbage collector reclaim the buffer.
func unmapFile(b []byte) error { return nil }

// evictPages does nothing: the file was read into the Go heap.
func evictPages(b []byte) {}
