//go:build !amd64 || noasm

package model

// useAVX2 is false: attention.go's loops run in Go.
var useAVX2 = false

func keyScoresAVX2(scores, q, k []float32, stride int, scale float32) {
	panic("model: no assembly in this build")
}

func addWeightedRowsAVX2(out, v []float32, stride int, w []float32) {
	panic("model: no assembly in this build")
}
