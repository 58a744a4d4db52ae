package sampling

import (
	"math"
	"slices"
	"sync"
)

// This file ranks the vocabulary without sorting it. Tokens are grouped into buckets
// by their distance below the top penalized logit; every filter keeps a prefix of the
// ranking (logit descending, id ascending) and needs the exact order only inside the
// one bucket its boundary falls into.

// stage is one filter's effect: the kept set after it (cumulative).
type stage struct {
	name string // "top_k", "top_p" or "min_p"
	kept cut
}

// cut is a rank prefix: it keeps the tokens ranked strictly before the token at
// distance d (below the top logit) with id id. d = +Inf keeps everything; id =
// MaxInt32 keeps every token at distance <= d.
type cut struct {
	d  float64
	id int32
}

var keepAll = cut{math.Inf(1), 0}

func (c cut) keeps(d float64, id int32) bool { return d < c.d || (d == c.d && id < c.id) }

// minCut returns the shorter of two prefixes (their intersection).
func minCut(a, b cut) cut {
	if a.keeps(b.d, b.id) {
		return b
	}
	return a
}

// dist returns the distance of token i below the top penalized logit.
func (s *Sampler) dist(i int32) float64 { return s.maxW - s.w[i] }

// buildBuckets makes sure the buckets (and with withMass the masses) are filled.
func (s *Sampler) buildBuckets(withMass bool) {
	if !s.bktOK || (withMass && !s.massOK) {
		s.scan(withMass, false)
	}
}

// scan assigns every token to its distance bucket and counts them. withMass also
// computes the integer weights at the filter temperature and each bucket's mass;
// withSums the two normalizers the inspector needs (at temperature 1 and at the
// temperature). Weights at equal temperatures are computed once.
//
// A large vocabulary is split into scanChunks fixed halves scanned concurrently. The
// split depends only on the vocabulary size, counts and masses are integers, and the
// float sums of the halves are added in a fixed order, so the result is the same
// whatever GOMAXPROCS is.
func (s *Sampler) scan(withMass, withSums bool) {
	vocab := len(s.w)
	chunks := 1
	if vocab >= scanSplit {
		chunks = scanChunks
	}
	var parts [scanChunks]scanPart
	var wg sync.WaitGroup
	for c := range chunks {
		lo, hi := c*vocab/chunks, (c+1)*vocab/chunks
		if c == chunks-1 {
			parts[c] = s.scanRange(lo, hi, c, withMass, withSums)
			break
		}
		wg.Go(func() { parts[c] = s.scanRange(lo, hi, c, withMass, withSums) })
	}
	wg.Wait()

	sum1, sumT := 0.0, 0.0
	for c := range chunks {
		sum1 += parts[c].sum1
		sumT += parts[c].sumT
	}
	for b := range numBuckets {
		s.count[b], s.mass[b] = 0, 0
		for c := range chunks {
			s.count[b] += s.subCount[c][b]
			s.mass[b] += s.subMass[c][b]
		}
	}
	s.bktOK = true
	s.massOK = s.massOK || withMass
	if withSums {
		s.sum1, s.sumT, s.sumsOK = sum1, sumT, true
	}
}

// scanChunks and scanSplit: vocabularies of at least scanSplit tokens are scanned
// in scanChunks concurrent parts.
const (
	scanChunks = 2
	scanSplit  = 1 << 15
)

// scanPart holds one chunk's float sums.
type scanPart struct{ sum1, sumT float64 }

// scanRange is scan over tokens lo..hi-1, into partial histogram lane.
func (s *Sampler) scanRange(lo, hi, lane int, withMass, withSums bool) scanPart {
	count, mass := &s.subCount[lane], &s.subMass[lane]
	*count = [numBuckets]int32{}
	*mass = [numBuckets]uint64{}
	w, maxW := s.w[lo:hi], s.maxW
	bucket, qf := s.bucket[lo:hi], s.qf[lo:hi]
	temp := s.p.Temperature
	invF, invT := 1/s.filterT, 1/temp
	oneIsF := withMass && s.filterT == 1
	tIsF := withMass && temp == s.filterT
	eTs := s.eT[lo:hi]
	var part scanPart
	for i, v := range w {
		d := maxW - v
		b := bucketOf(d)
		bucket[i] = uint16(b)
		count[b]++

		var eF float64
		if withMass {
			eF = expDet(-(d * invF))
			q := quantize(eF)
			qf[i] = q
			mass[b] += q
		}
		if !withSums {
			continue
		}
		e1 := eF
		if !oneIsF {
			e1 = expDet(-d)
		}
		part.sum1 += e1
		var eT float64
		switch {
		case temp == 0:
			continue
		case temp == 1:
			eT = e1
		case tIsF:
			eT = eF
		default:
			eT = expDet(-(d * invT))
		}
		eTs[i] = eT
		part.sumT += eT
	}
	return part
}

// bucketOf maps a distance d >= 0 to its bucket.
func bucketOf(d float64) int {
	if d >= (numBuckets-1)/bucketsPerUnit {
		return numBuckets - 1
	}
	return int(d * bucketsPerUnit)
}

// sortedRange returns the tokens of buckets lo..hi (inclusive) in rank order.
func (s *Sampler) sortedRange(lo, hi int) []int32 {
	out := s.sorted[:0]
	for i, b := range s.bucket[:len(s.w)] {
		if int(b) >= lo && int(b) <= hi {
			out = append(out, int32(i))
		}
	}
	w := s.w
	slices.SortFunc(out, func(a, b int32) int { return compareRank(w, a, b) })
	s.sorted = out
	return out
}

// topKCut keeps the k best-ranked tokens; with keepTies also every token tied with
// the k-th (transformers).
func (s *Sampler) topKCut(k int, keepTies bool) cut {
	if k >= len(s.w) {
		return keepAll
	}
	s.buildBuckets(false)
	cum := 0
	for b := range numBuckets {
		c := int(s.count[b])
		if cum+c < k {
			cum += c
			continue
		}
		toks := s.sortedRange(b, b)
		if keepTies {
			return cut{s.dist(toks[k-cum-1]), math.MaxInt32}
		}
		if k-cum == c {
			// The k-th token ends this bucket: the first removed one opens a later one.
			return s.firstAfterBucket(b)
		}
		t := toks[k-cum]
		return cut{s.dist(t), t}
	}
	return keepAll
}

// firstAfterBucket returns the cut before the best-ranked token of the first
// non-empty bucket after b (keepAll if there is none).
func (s *Sampler) firstAfterBucket(b int) cut {
	for nb := b + 1; nb < numBuckets; nb++ {
		if s.count[nb] > 0 {
			t := s.sortedRange(nb, nb)[0]
			return cut{s.dist(t), t}
		}
	}
	return keepAll
}

// topPCut keeps, within scope, the tokens whose mass ranked strictly above them is
// below p times the scope's mass (masses at the filter temperature).
func (s *Sampler) topPCut(p float64, scope cut) cut {
	bs := numBuckets // scope boundary bucket; numBuckets = no boundary
	if scope != keepAll {
		bs = bucketOf(scope.d)
		if c := s.countThrough(bs); c <= directScope {
			return s.topPCutDirect(p, scope, bs)
		}
	}
	s.buildBuckets(true)

	// Mass of the scope: whole buckets above its boundary plus the boundary's share.
	var total uint64
	for b := 0; b < bs && b < numBuckets; b++ {
		total += s.mass[b]
	}
	if bs < numBuckets {
		for i, b := range s.bucket[:len(s.w)] {
			if int(b) == bs && scope.keeps(s.dist(int32(i)), int32(i)) {
				total += s.qf[i]
			}
		}
	}
	threshold := p * float64(total)

	// Walk down the ranking; whole buckets that stay below the threshold are kept
	// without sorting them.
	var above uint64
	for b := range numBuckets {
		if b > bs {
			break
		}
		if s.count[b] == 0 {
			continue
		}
		if b < bs && float64(above+s.mass[b]) < threshold {
			above += s.mass[b]
			continue
		}
		for _, t := range s.sortedRange(b, b) {
			d := s.dist(t)
			if !scope.keeps(d, t) {
				return scope
			}
			if float64(above) >= threshold {
				return cut{d, t}
			}
			above += s.qf[t]
		}
	}
	return scope
}

// directScope is the largest scope (after top_k) whose weights topPCut computes
// token by token instead of from the bucket masses of the whole vocabulary.
const directScope = 4096

// countThrough returns how many tokens lie in buckets 0..b.
func (s *Sampler) countThrough(b int) int {
	s.buildBuckets(false)
	n := 0
	for i := 0; i <= b && i < numBuckets; i++ {
		n += int(s.count[i])
	}
	return n
}

// topPCutDirect is topPCut for a small scope: it sorts the scope's buckets and
// computes the weights of the scope's tokens only.
func (s *Sampler) topPCutDirect(p float64, scope cut, bs int) cut {
	toks := s.sortedRange(0, bs)
	invT := 1 / s.filterT
	var total uint64
	n := 0
	for _, t := range toks {
		if !scope.keeps(s.dist(t), t) {
			break
		}
		total += quantize(expDet(-(s.dist(t) * invT)))
		n++
	}
	threshold := p * float64(total)
	var above uint64
	for _, t := range toks[:n] {
		d := s.dist(t)
		if float64(above) >= threshold {
			return cut{d, t}
		}
		above += quantize(expDet(-(d * invT)))
	}
	return scope
}
