// Package quant holds the weight matrices of linear layers, dense or MLX affine quantized,
// and the kernels that multiply them with activation vectors.
//
// Every kernel computes each (row, vector) dot product in one goroutine with a fixed
// sequence of float32 operations (the 4-bit kernel sums each group exactly, in
// integers), so results are bit-identical whatever the number of vectors, the number
// of workers or GOMAXPROCS. MatMulRef is the float64 reference that every kernel is
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
