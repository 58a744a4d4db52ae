package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// hostLittleEndian is true on the hosts where a zero-copy view of
// little-endian data is valid.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Uint32s returns the elements of a U32 or I32 tensor as uint32. The slice views
// the mapped file when the data is 4-byte aligned (always so for files written
// by WriteFile or mlx) and must not be modified; otherwise it is a copy.
func (t Tensor) Uint32s() ([]uint32, error) {
	if t.DType != U32 && t.DType != I32 {
		return nil, fmt.Errorf("tensor %q: want dtype U32 or I32, got %s", t.Name, t.DType)
	}
	n := len(t.Data) / 4
	if n == 0 {
		return []uint32{}, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(t.Data))
	if hostLittleEndian && uintptr(p)%4 == 0 {
		return unsafe.Slice((*uint32)(p), n), nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(t.Data[4*i:])
	}
	return out, nil
}

// Uint16s returns the raw 16-bit elements of an F16 or BF16 tensor, viewing the
// mapped file when aligned (read-only) and copying otherwise.
func (t Tensor) Uint16s() ([]uint16, error) {
	if t.DType != F16 && t.DType != BF16 {
		return nil, fmt.Errorf("tensor %q: want dtype F16 or BF16, got %s", t.Name, t.DType)
	}
	n := len(t.Data) / 2
	if n == 0 {
		return []uint16{}, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(t.Data))
	if hostLittleEndian && uintptr(p)%2 == 0 {
		return unsafe.Slice((*uint16)(p), n), nil
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
	}
	return out, nil
}

// Float32View returns the elements of an F32 tensor, viewing the mapped file
// when aligned (read-only) and copying otherwise.
func (t Tensor) Float32View() ([]float32, error) {
	if t.DType != F32 {
		return nil, fmt.Errorf("tensor %q: want dtype F32, got %s", t.Name, t.DType)
	}
	n := len(t.Data) / 4
	if n == 0 {
		return []float32{}, nil
	}
	p := unsafe.Pointer(unsafe.SliceData(t.Data))
	if hostLittleEndian && uintptr(p)%4 == 0 {
		return unsafe.Slice((*float32)(p), n), nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Float32s returns a new slice with the elements of an F32, F16 or BF16 tensor
// converted exactly to float32 (norm weights, biases and small tensors).
func (t Tensor) Float32s() ([]float32, error) {
	out := make([]float32, t.NumElements())
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = F16ToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = BF16ToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	default:
		return nil, fmt.Errorf("tensor %q: want a float dtype (F32, F16, BF16), got %s", t.Name, t.DType)
	}
	return out, nil
}
