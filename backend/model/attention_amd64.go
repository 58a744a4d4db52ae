//go:build amd64 && !noasm

package model

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly loops of attention.go.
var useAVX2 = cpu.X86.HasAVX2

// keyScoresAVX2Asm is keyScores for dim = len(q) >= 8: the first dim&^7
// elements of each dot product in one 8-lane register, the rest one by one.
//
//go:noescape
func keyScoresAVX2Asm(scores *float32, n int, q *float32, dim int, k *float32, stride int,
	scale float32)

func keyScoresAVX2(scores, q, k []float32, stride int, scale float32) {
	keyScoresAVX2Asm(&scores[0], len(scores), &q[0], len(q), &k[0], stride, scale)
}

// addWeightedRowsAVX2Asm is addWeightedRows for dim = len(out), a multiple
// of 8, and n = len(w) >= 1.
//
//go:noescape
func addWeightedRowsAVX2Asm(out *float32, dim int, v *float32, stride int, w *float32, n int)

func addWeightedRowsAVX2(out, v []float32, stride int, w []float32) {
	addWeightedRowsAVX2Asm(&out[0], len(out), &v[0], stride, &w[0], len(w))
}
