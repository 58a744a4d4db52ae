package quant

import (
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/knobs-app/knobs/backend/safetensors"
)

// Affine is a weight matrix in MLX affine quantization (mode "affine" of
// mlx.core.quantize): each row is cut into groups of groupSize columns, and
// element j of a group is w = scale*q + bias with q an unsigned bits-wide code.
// The codes are packed into little-endian uint32 words, element k of a word at
// bit offset bits*k, lowest first. Tensors are views of the checkpoint.
type Affine struct {
	rows, cols      int
	bits, groupSize int
	wordsPerRow     int
	groupsPerRow    int

	weight      []uint32          // [rows][cols*bits/32] packed codes
	scaleDType  safetensors.DType // F32, F16 or BF16, shared by scales and biases
	scales16    []uint16          // [rows][cols/groupSize] when 16-bit
	biases16    []uint16          // [rows][cols/groupSize] when 16-bit
	scales32    []float32         // [rows][cols/groupSize] when F32
	biases32    []float32         // [rows][cols/groupSize] when F32
	scaleFormat int               // one of scaleBF16, scaleF16, scaleF32

	// packed is a copy of the codes, scales and biases in the layout of the
	// VNNI kernel, made by NewAffine on CPUs that run it; the checkpoint's
	// pages are then dropped from memory until something reads them again.
	packed *packed4
}

// The scale formats the kernels switch on.
const (
	scaleBF16 = iota
	scaleF16
	scaleF32
)

// SupportedBits and SupportedGroupSizes list the affine layouts this package
// reads; mlx also has 3, 5 and 6 bits, which no kernel here handles.
var (
	SupportedBits       = []int{2, 4, 8}
	SupportedGroupSizes = []int{32, 64, 128}
)

// NewAffine wraps the weight, scales and biases tensors of one MLX quantized
// linear layer (…weight U32 [out, in*bits/32], …scales and …biases [out, in/groupSize]
// in BF16, F16 or F32). Shapes, dtypes, bits and group size are validated, and the
// error names the offending tensor.
func NewAffine(w, scales, biases safetensors.Tensor, bits, groupSize int) (Matrix, error) {
	if !slices.Contains(SupportedBits, bits) {
		return nil, fmt.Errorf("%s: affine quantization bits must be one of %v, got %d",
			w.Name, SupportedBits, bits)
	}
	if !slices.Contains(SupportedGroupSizes, groupSize) {
		return nil, fmt.Errorf("%s: affine quantization group size must be one of %v, got %d",
			w.Name, SupportedGroupSizes, groupSize)
	}
	if w.DType != safetensors.U32 || len(w.Shape) != 2 {
		return nil, fmt.Errorf("%s: quantized weight must be 2-D U32, got %s %v",
			w.Name, w.DType, w.Shape)
	}

	rows, words := w.Shape[0], w.Shape[1]
	cols := words * 32 / bits
	if cols%groupSize != 0 || cols == 0 {
		return nil, fmt.Errorf("%s: %d columns (%d words of %d-bit codes) is not a positive "+
			"multiple of the group size %d", w.Name, cols, words, bits, groupSize)
	}
	groups := cols / groupSize
	for _, t := range []safetensors.Tensor{scales, biases} {
		if len(t.Shape) != 2 || t.Shape[0] != rows || t.Shape[1] != groups {
			return nil, fmt.Errorf("%s: shape %v, want [%d %d] for %s with %d-bit codes in groups of %d",
				t.Name, t.Shape, rows, groups, w.Name, bits, groupSize)
		}
	}
	if scales.DType != biases.DType {
		return nil, fmt.Errorf("%s is %s but %s is %s; they must share a dtype",
			scales.Name, scales.DType, biases.Name, biases.DType)
	}

	a := &Affine{
		rows: rows, cols: cols, bits: bits, groupSize: groupSize,
		wordsPerRow: words, groupsPerRow: groups, scaleDType: scales.DType,
	}
	var err error
	if a.weight, err = w.Uint32s(); err != nil {
		return nil, err
	}
	switch scales.DType {
	case safetensors.BF16, safetensors.F16:
		a.scaleFormat = scaleBF16
		if scales.DType == safetensors.F16 {
			a.scaleFormat = scaleF16
		}
		if a.scales16, err = scales.Uint16s(); err != nil {
			return nil, err
		}
		a.biases16, err = biases.Uint16s()
	case safetensors.F32:
		a.scaleFormat = scaleF32
		if a.scales32, err = scales.Float32View(); err != nil {
			return nil, err
		}
		a.biases32, err = biases.Float32View()
	default:
		return nil, fmt.Errorf("%s: scales dtype must be BF16, F16 or F32, got %s",
			scales.Name, scales.DType)
	}
	if err != nil {
		return nil, err
	}
	if packFits(a) {
		a.packed = pack(a)
		runtime.AddCleanup(a, func(release func()) { release() }, a.packed.release)
		for _, t := range []safetensors.Tensor{w, scales, biases} {
			t.Evict()
		}
	}
	return a, nil
}

// Release frees the packed copy of the matrix that NewAffine makes on CPUs
// with the VNNI kernel; the matrix must not be used afterwards. Calling it
// again does nothing.
func (a *Affine) Release() {
	if a.packed != nil {
		a.packed.release()
		a.packed = nil
	}
}

// Rows returns the number of output features.
func (a *Affine) Rows() int { return a.rows }

// Cols returns the number of input features.
func (a *Affine) Cols() int { return a.cols }

// Bits returns the width of one code.
func (a *Affine) Bits() int { return a.bits }

// GroupSize returns the number of columns sharing one scale and bias.
func (a *Affine) GroupSize() int { return a.groupSize }

// WeightBytes returns the bytes of packed codes, scales and biases.
func (a *Affine) WeightBytes() int64 {
	codes := int64(a.rows) * int64(a.wordsPerRow) * 4
	perScale := int64(a.scaleDType.Size())
	return codes + 2*int64(a.rows)*int64(a.groupsPerRow)*perScale
}

// scaleBias returns the scale and bias of group g of row r (index r*groups+g).
func (a *Affine) scaleBias(i int) (scale, bias float32) {
	if a.scaleFormat == scaleF32 {
		return a.scales32[i], a.biases32[i]
	}
	return a.float16(a.scales16[i]), a.float16(a.biases16[i])
}

// float16 converts a 16-bit scale or bias (BF16 or F16, as the matrix has them).
func (a *Affine) float16(v uint16) float32 {
	if a.scaleFormat == scaleF16 {
		return f16Table[v]
	}
	return safetensors.BF16ToFloat32(v)
}

// scalesGroupMajor converts the scales and biases of rows [lo, hi) to
// float32, group-major: scales[g*(hi-lo)+r-lo] for group g of row r.
func (a *Affine) scalesGroupMajor(scales, biases []float32, lo, hi int) {
	groups, chunk := a.groupsPerRow, hi-lo
	if a.scaleFormat != scaleBF16 {
		for r := lo; r < hi; r++ {
			for g := range groups {
				scales[g*chunk+r-lo], biases[g*chunk+r-lo] = a.scaleBias(r*groups + g)
			}
		}
		return
	}
	// BF16 is the top half of a float32.
	s16 := a.scales16[lo*groups : hi*groups]
	b16 := a.biases16[lo*groups : hi*groups]
	for g := range groups {
		gs, gb := scales[g*chunk:(g+1)*chunk], biases[g*chunk:(g+1)*chunk]
		for i, k := 0, g; i < len(gs) && i < len(gb) && k < len(s16) && k < len(b16); {
			gs[i] = math.Float32frombits(uint32(s16[k]) << 16)
			gb[i] = math.Float32frombits(uint32(b16[k]) << 16)
			i, k = i+1, k+groups
		}
	}
}

// code returns the quantized code of column j of row i.
func (a *Affine) code(i, j int) uint32 {
	return a.codeIn(a.weight[i*a.wordsPerRow+j/(32/a.bits)], j)
}

// codeIn returns the code of column j from the word that holds it.
func (a *Affine) codeIn(word uint32, j int) uint32 {
	perWord := 32 / a.bits
	return word >> (uint(j%perWord) * uint(a.bits)) & (1<<a.bits - 1)
}

// DequantRow writes row i as float32 into dst[:Cols()]: each element is
// scale*q + bias computed in float64 and rounded once, the closest float32 to
// the exact value. Quantized embeddings are looked up this way. A packed
// matrix is read from its packed copy, so that a tied embedding's lookups
// leave the checkpoint's pages evicted.
func (a *Affine) DequantRow(i int, dst []float32) {
	dst = dst[:a.cols]
	perWord := 32 / a.bits
	for g := range a.groupsPerRow {
		scale, bias := a.rowScaleBias(i, g)
		for j := g * a.groupSize; j < (g+1)*a.groupSize; j++ {
			q := a.codeIn(a.rowWord(i, j/perWord), j)
			dst[j] = float32(float64(scale)*float64(q) + float64(bias))
		}
	}
}

// rowWord returns word w of row i's codes, from the packed copy if there is one.
func (a *Affine) rowWord(i, w int) uint32 {
	if p := a.packed; p != nil {
		return p.codes[((i/packRows)*a.wordsPerRow+w)*packRows+i%packRows]
	}
	return a.weight[i*a.wordsPerRow+w]
}

// rowScaleBias returns the scale and bias of group g of row i, from the packed
// copy if there is one (packed matrices have 16-bit scales).
func (a *Affine) rowScaleBias(i, g int) (scale, bias float32) {
	p := a.packed
	if p == nil {
		return a.scaleBias(i*a.groupsPerRow + g)
	}
	k := ((i/packRows)*a.groupsPerRow+g)*packRows + i%packRows
	return a.float16(p.scales[k]), a.float16(p.biases[k])
}
