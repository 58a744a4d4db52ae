// Package safetensors reads and writes the safetensors checkpoint format
// (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header describing each tensor, then the raw tensor bytes.
//
// Files are memory-mapped and tensors are zero-copy views of the mapping; every
// header field is validated before any view is handed out. A checkpoint
// directory holds one model.safetensors or several shards listed by
// model.safetensors.index.json.
package safetensors

import (
	"errors"
	"fmt"
)

// ErrTensorNotFound is wrapped by the error of Checkpoint.Tensor for a name the
// checkpoint does not hold.
var ErrTensorNotFound = errors.New("tensor not found")

// FormatError reports a malformed file: which file, which tensor (empty when the
// problem is not about one tensor) and what is wrong.
type FormatError struct {
	File    string
	Tensor  string
	Problem string
}

// Error returns "safetensors FILE: tensor NAME: PROBLEM".
func (e *FormatError) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors %s: tensor %q: %s", e.File, e.Tensor, e.Problem)
	}
	return fmt.Sprintf("safetensors %s: %s", e.File, e.Problem)
}

// ErrorCode returns the stable code the UI branches on.
func (e *FormatError) ErrorCode() string { return "invalid_checkpoint" }

// Tensor is one named array of a file. Data is a read-only view of the mapped
// file in little-endian order, valid until the file is closed; writing to it
// faults.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte

	mapped bool // Data is part of a file mapping
}

// Evict tells the operating system that t's data need not stay in memory: for
// a tensor of a mapped file its pages leave the process's resident set, to be
// read again from the file (usually still in the page cache) if touched. The
// data stays valid. A reader that keeps its own copy of a tensor calls it so
// the checkpoint is not held in memory twice. Other tensors are left alone.
func (t Tensor) Evict() {
	if t.mapped {
		evictPages(t.Data)
	}
}

// NumElements returns the product of the shape (1 for a scalar).
func (t Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}
