// Package quant holds the weight matrices of linear layers, dense or MLX affine quantized,
// and the kernels that multiply them with activation vectors.
//
// Every kernel computes each (row, vector) dot product in one goroutine with a fixed
// sequence of operations (the portable 4-bit kernel sums each group exactly, in
// integers; the AVX2 and AVX-512 kernels use one fixed lane layout and reduction order
// per vector), so results are bit-identical whatever the number of vectors, the number
// of workers or GOMAXPROCS. Different kernels (portable, AVX2, AVX-512) may differ from
// each other in the last bits. MatMulRef is the float64 reference that every kernel is
// tested against, in one conformance table.
package quant

// Matrix is the weight of a linear layer, logically [rows][cols] with rows the output
// features, as stored in the checkpoint.
type Matrix interface {
	Rows() int
	Cols() int
	// WeightBytes is the number of bytes one full pass over the matrix reads
	// (packed weights plus scales and biases).
	WeightBytes() int64
	// DequantRow writes row i as float32 into dst[:Cols()].
	DequantRow(i int, dst []float32)
}
