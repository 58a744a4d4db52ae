package sampling

// draw takes one 53-bit uniform from the stream, maps it onto [0, keptS) and walks
// the kept tokens in id order: the first whose running weight exceeds the target is
// chosen. It returns the index into keptID.
func (s *Sampler) draw(rng *Stream) int {
	target := scaledDraw(rng.uniform53(), s.keptS)
	var cum uint64
	for j, q := range s.keptQ {
		cum += q
		if cum > target {
			return j
		}
	}
	return len(s.keptQ) - 1 // unreachable: the weights sum to keptS > target
}

// finalWeights computes the integer weights at the temperature of the tokens kept by
// final, in id order, and the entropy of that distribution.
func (s *Sampler) finalWeights(final cut) {
	s.keptID, s.keptQ, s.keptS = s.keptID[:0], s.keptQ[:0], 0
	invT := 1 / s.p.Temperature
	sumE, sumEZ := 0.0, 0.0
	lastBucket := numBuckets - 1
	if s.bktOK && final != keepAll {
		lastBucket = bucketOf(final.d)
	}
	for i, v := range s.w {
		if s.bktOK && int(s.bucket[i]) > lastBucket {
			continue
		}
		d := s.maxW - v
		if !final.keeps(d, int32(i)) {
			continue
		}
		z := d * invT
		var e float64
		if s.sumsOK {
			e = s.eT[i] // the same expDet(-z), computed by scan
		} else {
			e = expDet(-z)
		}
		q := quantize(e)
		s.keptID = append(s.keptID, int32(i))
		s.keptQ = append(s.keptQ, q)
		s.keptS += q
		sumE += e
		sumEZ += float64(e * z)
	}
	// H = -sum p ln p with p = e/sumE and ln p = -z - ln(sumE).
	s.keptH = logDet(sumE) + sumEZ/sumE
	if s.keptH < 0 {
		s.keptH = 0 // a single kept token: rounding can leave -0 or a tiny negative
	}
}

// quantize turns a relative weight e in [0, 1] into its integer weight floor(e*2^44).
// e*2^44 < 2^63, so the (one-instruction) conversion to int64 is exact in range.
func quantize(e float64) uint64 { return uint64(int64(e * weightScale)) }
