package safetensors

import (
	"encoding/binary"
	"math"
)

// DType is the element type of a tensor, spelled as in the safetensors header.
type DType string

// The element types this package reads and writes. Other dtypes of the format
// (F64, I64, F8_E4M3, ...) are rejected with an error naming them.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	U32  DType = "U32"
	I32  DType = "I32"
	U8   DType = "U8"
)

// Size returns the number of bytes of one element, or 0 for an unsupported dtype.
func (d DType) Size() int {
	switch d {
	case F32, U32, I32:
		return 4
	case F16, BF16:
		return 2
	case U8:
		return 1
	}
	return 0
}

// supportedDTypes lists the dtypes for error messages.
const supportedDTypes = "F32, F16, BF16, U32, I32, U8"

// F16ToFloat32 converts an IEEE 754 binary16 value to float32. Every binary16
// value, subnormals, infinities and NaN included, is exactly representable.
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff

	switch {
	case exp == 0x1f:
		// Infinity or NaN: keep the payload in the top mantissa bits.
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		// Normal: rebias the exponent from 15 to 127.
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0:
		return math.Float32frombits(sign)
	}

	// Subnormal: mant * 2^-24, which is a normal float32.
	v := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// BF16ToFloat32 converts a bfloat16 value (the top half of a float32) to float32.
func BF16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}

// Float32ToBF16 rounds f to the nearest bfloat16, ties to even. NaN stays NaN
// (quiet), and values beyond the largest finite bfloat16 round to infinity.
func Float32ToBF16(f float32) uint16 {
	bits := math.Float32bits(f)
	if bits&0x7fffffff > 0x7f800000 {
		return uint16(bits>>16) | 0x40
	}
	// Adding 0x7fff plus the lowest kept bit rounds half to even.
	bits += 0x7fff + (bits>>16)&1
	return uint16(bits >> 16)
}

// Float32ToF16 rounds f to the nearest IEEE 754 binary16, ties to even,
// producing subnormals, infinities and a quiet NaN where due.
func Float32ToF16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	abs := bits & 0x7fffffff

	switch {
	case abs > 0x7f800000:
		return sign | 0x7e00 | uint16(abs>>13)&0x3ff
	case abs >= 0x477ff000:
		// At or above 65520, halfway between the largest finite half (65504)
		// and 2^16, rounding goes to infinity.
		return sign | 0x7c00
	case abs >= 0x38800000:
		// Normal half (|f| >= 2^-14): rebias and round the 13 dropped bits.
		abs += 0xfff + (abs>>13)&1
		return sign | uint16((abs-(127-15)<<23)>>13)
	case abs < 0x33000000:
		// Below half the smallest subnormal (2^-25): rounds to zero.
		return sign
	}

	// Subnormal half: the value is m * 2^-24 with m the mantissa (implicit
	// bit included) shifted right by the exponent deficit, rounded to even.
	exp := abs >> 23
	mant := abs&0x7fffff | 0x800000
	shift := 126 - exp // 14..24 for exponents 102..112
	half := uint32(1) << (shift - 1)
	rest := mant & (1<<shift - 1)
	m := mant >> shift
	if rest > half || (rest == half && m&1 == 1) {
		m++
	}
	return sign | uint16(m)
}

// EncodeF32 returns v as little-endian F32 bytes.
func EncodeF32(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(f))
	}
	return out
}

// EncodeBF16 returns v rounded to bfloat16 (ties to even) as little-endian bytes.
func EncodeBF16(v []float32) []byte {
	out := make([]byte, 2*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint16(out[2*i:], Float32ToBF16(f))
	}
	return out
}

// EncodeF16 returns v rounded to binary16 (ties to even) as little-endian bytes.
func EncodeF16(v []float32) []byte {
	out := make([]byte, 2*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint16(out[2*i:], Float32ToF16(f))
	}
	return out
}

// EncodeU32 returns v as little-endian U32 bytes.
func EncodeU32(v []uint32) []byte {
	out := make([]byte, 4*len(v))
	for i, u := range v {
		binary.LittleEndian.PutUint32(out[4*i:], u)
	}
	return out
}
