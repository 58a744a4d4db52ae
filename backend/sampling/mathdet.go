package sampling

import "math"

// The draw must give the same token on every machine, so the exponential and the
// logarithm on the sampling path are computed here in plain IEEE float64 arithmetic
// instead of math.Exp and math.Log, whose assembly versions (amd64, arm64) may differ
// from each other in the last bit. Every product that is followed by an addition is
// wrapped in float64(...): the Go spec lets a compiler fuse x*y+z into one FMA
// instruction (arm64 does), and an explicit conversion forbids that.

// expTable[j] is 2^(j/64) rounded to the nearest float64 (computed with 60 decimal
// digits and rounded once).
var expTable = [64]float64{
	1.0, 1.0108892860517005, 1.0218971486541166, 1.0330248790212284,
	1.0442737824274138, 1.0556451783605572, 1.0671404006768237, 1.0787607977571199,
	1.0905077326652577, 1.102382583307841, 1.1143867425958924, 1.1265216186082418,
	1.1387886347566916, 1.1511892299529827, 1.1637248587775775, 1.1763969916502812,
	1.189207115002721, 1.202156731452703, 1.215247359980469, 1.22848053610687,
	1.241857812073484, 1.255380757024691, 1.2690509571917332, 1.2828700160787783,
	1.2968395546510096, 1.3109612115247644, 1.3252366431597413, 1.339667524053303,
	1.3542555469368927, 1.3690024229745905, 1.383909881963832, 1.3989796725383112,
	1.4142135623730951, 1.42961333839197, 1.4451808069770467, 1.460917794180647,
	1.4768261459394993, 1.4929077282912648, 1.5091644275934228, 1.5255981507445384,
	1.5422108254079407, 1.559004400237837, 1.5759808451078865, 1.593142151342267,
	1.6104903319492543, 1.6280274218573478, 1.645755478153965, 1.6636765803267364,
	1.681792830507429, 1.7001063537185235, 1.718619298122478, 1.7373338352737062,
	1.7562521603732995, 1.7753764925265212, 1.7947090750031072, 1.8142521755003989,
	1.8340080864093424, 1.8539791250833855, 1.8741676341103, 1.8945759815869656,
	1.9152065613971474, 1.9360617934922943, 1.9571441241754002, 1.978456026387951,
}

const (
	// expInvStep is 64/ln 2: x*expInvStep counts steps of ln(2)/64.
	expInvStep = 92.33248261689366
	// expStepHi + expStepLo = ln(2)/64 (Cody–Waite split). expStepHi has its 20 low
	// mantissa bits zero, so k*expStepHi is exact for |k| < 2^20.
	expStepHi = 0.010830424695086549
	expStepLo = 1.162596423439437e-12
	// expUnderflow: below it exp(x) rounds to zero in float64.
	expUnderflow = -745.2
	// roundMagic is 1.5*2^52: (y + roundMagic) - roundMagic is y rounded to an integer.
	roundMagic = 0x1.8p52
)

// expDet returns e^x for x <= 0 (the only arguments the sampler needs: a logit minus
// the maximum, divided by a temperature). It is accurate to about 1 ulp and gives
// bit-identical results on every platform. Positive arguments return 1.
func expDet(x float64) float64 {
	if x >= 0 {
		return 1
	}
	if x < expUnderflow {
		return 0
	}

	// Reduce: x = k*ln2/64 + r with |r| <= ln2/128, k = 64m + j. Adding and
	// subtracting 1.5*2^52 rounds to the nearest integer in plain IEEE arithmetic.
	kf := float64(float64(x*expInvStep)+roundMagic) - roundMagic
	r := float64(x-float64(kf*expStepHi)) - float64(kf*expStepLo)
	k := int64(kf)

	// e^r - 1 by its Taylor polynomial to degree 5 (the next term is below 2^-54).
	t := float64(r*(1.0/120)) + 1.0/24
	t = float64(r*t) + 1.0/6
	t = float64(r*t) + 0.5
	t = float64(float64(r*r)*t) + r

	// e^x = 2^m * 2^(j/64) * e^r; v is in [0.99, 2), so adding m to its exponent
	// field is exact while the result stays normal.
	tj := expTable[k&63]
	v := float64(tj*t) + tj
	m := k >> 6
	if m >= -1021 {
		return math.Float64frombits(math.Float64bits(v) + uint64(m)<<52)
	}
	// Subnormal result: scale in two steps, the second one rounding once.
	v *= math.Float64frombits(uint64(1023+m+1000) << 52)
	return v * 0x1p-1000
}

// logDet returns ln x for finite x > 0, accurate to a few ulp and identical on every
// platform. It is used once per sampler (min_p's threshold) and for inspection only.
func logDet(x float64) float64 {
	frac, e := math.Frexp(x) // x = frac * 2^e, frac in [0.5, 1)
	if frac < math.Sqrt2/2 {
		frac *= 2
		e--
	}

	// ln(frac) = 2 atanh(s), s = (frac-1)/(frac+1), |s| < 0.172.
	s := (frac - 1) / (frac + 1)
	s2 := s * s
	sum := 0.0
	for n := 41; n >= 3; n -= 2 {
		sum = float64(sum*s2) + 1/float64(n)
	}
	lnFrac := 2 * (float64(float64(s*s2)*sum) + s)
	return float64(float64(e)*math.Ln2) + lnFrac
}
