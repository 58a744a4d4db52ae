package model

import "math"

// LogSoftmax writes log(softmax(logits)) in float64 to dst (grown or allocated as
// needed) and returns it. The maximum is subtracted before exp and the sum runs in
// index order, so the result is deterministic.
func LogSoftmax(dst []float64, logits []float32) []float64 {
	if cap(dst) < len(logits) {
		dst = make([]float64, len(logits))
	}
	dst = dst[:len(logits)]
	maxLogit := math.Inf(-1)
	for _, l := range logits {
		maxLogit = max(maxLogit, float64(l))
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - maxLogit)
	}
	logSum := maxLogit + math.Log(sum)
	for i, l := range logits {
		dst[i] = float64(l) - logSum
	}
	return dst
}

// Argmax returns the id of the largest logit, the lowest id among equals.
func Argmax(logits []float32) int32 {
	best := 0
	for i, l := range logits {
		if l > logits[best] {
			best = i
		}
	}
	return int32(best)
}
