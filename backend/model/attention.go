package model

// The two inner loops of attention, with an AVX2 version of each on amd64
// (attention_amd64.s) that gives the same bits: the same products and sums,
// rounded one by one, in the same order.

// keyScores sets scores[i] = dot(q, k[i*stride:]) * scale for each i.
func keyScores(scores, q, k []float32, stride int, scale float32) {
	if len(scores) == 0 {
		return
	}
	_ = k[(len(scores)-1)*stride+len(q)-1]
	if useAVX2 && len(q) >= 8 {
		keyScoresAVX2(scores, q, k, stride, scale)
		return
	}
	for i := range scores {
		scores[i] = dot(q, k[i*stride:]) * scale
	}
}

// dot returns the float32 dot product of a and b (len(b) >= len(a)) in a
// fixed order: element i goes to lane i%8 while 8 remain, the lanes are
// summed pairwise ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), then the rest in
// index order. Eight independent sums keep the adds from waiting on each
// other, as one running sum would.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var l0, l1, l2, l3, l4, l5, l6, l7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		l0 += x[0] * y[0]
		l1 += x[1] * y[1]
		l2 += x[2] * y[2]
		l3 += x[3] * y[3]
		l4 += x[4] * y[4]
		l5 += x[5] * y[5]
		l6 += x[6] * y[6]
		l7 += x[7] * y[7]
	}
	s := ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
	for ; i < len(a); i++ {
		s += a[i] * b[i]
	}
	return s
}

// addWeightedRows adds w[i] * v[i*stride : i*stride+len(out)] to out for
// each i in order: each element of out takes its terms one by one.
func addWeightedRows(out, v []float32, stride int, w []float32) {
	if len(w) == 0 {
		return
	}
	_ = v[(len(w)-1)*stride+len(out)-1]
	d := 0
	if useAVX2 {
		d = len(out) &^ 7
		if d > 0 {
			addWeightedRowsAVX2(out[:d], v, stride, w)
		}
	}
	// Eight elements at a time keep their sums in registers over all rows.
	for ; d+8 <= len(out); d += 8 {
		o := out[d : d+8 : d+8]
		s0, s1, s2, s3, s4, s5, s6, s7 := o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]
		for i, wi := range w {
			r := v[i*stride+d : i*stride+d+8 : i*stride+d+8]
			s0 += wi * r[0]
			s1 += wi * r[1]
			s2 += wi * r[2]
			s3 += wi * r[3]
			s4 += wi * r[4]
			s5 += wi * r[5]
			s6 += wi * r[6]
			s7 += wi * r[7]
		}
		o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7] = s0, s1, s2, s3, s4, s5, s6, s7
	}
	for ; d < len(out); d++ {
		s := out[d]
		for i, wi := range w {
			s += wi * v[i*stride+d]
		}
		out[d] = s
	}
}
