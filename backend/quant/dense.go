package quant

import (
	"fmt"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// Dense is an unquantized weight matrix in F32, F16 or BF16, viewing the
// checkpoint's bytes without a copy.
type Dense struct {
	rows, cols int
	dtype      safetensors.DType
	f32        []float32 // [rows*cols] when dtype is F32
	u16        []uint16  // [rows*cols] raw halves when dtype is F16 or BF16
}

// NewDense wraps a 2-D F32, F16 or BF16 tensor of shape [rows, cols].
func NewDense(t safetensors.Tensor) (Matrix, error) {
	if len(t.Shape) != 2 {
		return nil, fmt.Errorf("%s: dense weight must be 2-D, got shape %v", t.Name, t.Shape)
	}
	d := &Dense{rows: t.Shape[0], cols: t.Shape[1], dtype: t.DType}
	var err error
	switch t.DType {
	case safetensors.F32:
		d.f32, err = t.Float32View()
	case safetensors.F16, safetensors.BF16:
		d.u16, err = t.Uint16s()
	default:
		return nil, fmt.Errorf("%s: dense weight dtype must be F32, F16 or BF16, got %s",
			t.Name, t.DType)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Rows returns the number of output features.
func (d *Dense) Rows() int { return d.rows }

// Cols returns the number of input features.
func (d *Dense) Cols() int { return d.cols }

// DType returns the element type of the weights.
func (d *Dense) DType() safetensors.DType { return d.dtype }

// WeightBytes returns the size of the weights in bytes.
func (d *Dense) WeightBytes() int64 {
	return int64(d.rows) * int64(d.cols) * int64(d.dtype.Size())
}

// DequantRow converts row i to float32 (exactly) into dst[:Cols()].
func (d *Dense) DequantRow(i int, dst []float32) {
	dst = dst[:d.cols]
	lo := i * d.cols
	switch d.dtype {
	case safetensors.F32:
		copy(dst, d.f32[lo:lo+d.cols])
	case safetensors.BF16:
		for j, h := range d.u16[lo : lo+d.cols] {
			dst[j] = safetensors.BF16ToFloat32(h)
		}
	default:
		for j, h := range d.u16[lo : lo+d.cols] {
			dst[j] = f16Table[h]
		}
	}
}

// f16Table maps every binary16 bit pattern to its float32 value: a 256 KiB
// table that makes F16 conversion in kernels a single load.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = safetensors.F16ToFloat32(uint16(i))
	}
	return &t
}()
