package model

import "math"

// ropeFreqs returns the rotary inverse frequencies, one per pair of a head's
// dimensions ([headDim/2]), in float64: theta^(-2i/headDim), rescaled as Llama 3 does
// when the config has a llama3 rope_scaling block.
func ropeFreqs(cfg *Config) []float64 {
	half := cfg.HeadDim / 2
	freqs := make([]float64, half)
	for i := range freqs {
		freqs[i] = math.Pow(cfg.RopeTheta, -float64(2*i)/float64(cfg.HeadDim))
	}
	if r := cfg.RopeScaling; r != nil && r.Kind() == "llama3" {
		for i, f := range freqs {
			freqs[i] = llama3Freq(f, r)
		}
	}
	return freqs
}

// llama3Freq rescales one inverse frequency as HF's _compute_llama3_parameters and
// mlx-lm's Llama3RoPE do: wavelengths shorter than the original context divided by
// high_freq_factor are kept, those longer than it divided by low_freq_factor are slowed
// down by factor, and the band between is interpolated linearly in
// original_max_position_embeddings / wavelength.
func llama3Freq(freq float64, r *RopeScaling) float64 {
	orig := float64(r.OriginalMaxPositionEmbeddings)
	lowFreqWavelen := orig / r.LowFreqFactor
	highFreqWavelen := orig / r.HighFreqFactor
	wavelen := 2 * math.Pi / freq
	switch {
	case wavelen < highFreqWavelen:
		return freq
	case wavelen > lowFreqWavelen:
		return freq / r.Factor
	}
	smooth := (orig/wavelen - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
	return (1-smooth)*freq/r.Factor + smooth*freq
}

// rope holds the rotation angles' cosines and sines for every position the engine
// can reach, computed in float64 and rounded once.
type rope struct {
	half int
	cos  []float32 // [ctxLen][headDim/2]
	sin  []float32 // [ctxLen][headDim/2]
}

func newRope(cfg *Config, ctxLen int) *rope {
	freqs := ropeFreqs(cfg)
	half := len(freqs)
	r := &rope{half: half, cos: make([]float32, ctxLen*half), sin: make([]float32, ctxLen*half)}
	for pos := 0; pos < ctxLen; pos++ {
		for i, f := range freqs {
			s, c := math.Sincos(float64(pos) * f)
			r.cos[pos*half+i] = float32(c)
			r.sin[pos*half+i] = float32(s)
		}
	}
	return r
}

// apply rotates one head vector x ([headDim]) in place to position pos in the
// rotate-half convention of HF transformers: dimension i pairs with i + headDim/2.
func (r *rope) apply(x []float32, pos int) {
	cos := r.cos[pos*r.half : (pos+1)*r.half]
	sin := r.sin[pos*r.half : (pos+1)*r.half]
	lo, hi := x[:r.half], x[r.half:2*r.half]
	for i := range lo {
		a, b := lo[i], hi[i]
		lo[i] = a*cos[i] - b*sin[i]
		hi[i] = b*cos[i] + a*sin[i]
	}
}
