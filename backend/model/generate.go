package model

import (
	"fmt"
	"math"
	"slices"
	"time"
)

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

// TokenLogprob is a token id with its log-probability.
type TokenLogprob struct {
	ID      int32
	Logprob float64
}

// TopK returns the k most likely tokens of logprobs, most likely first, the lower id
// first among equals.
func TopK(logprobs []float64, k int) []TokenLogprob {
	k = min(k, len(logprobs))
	top := make([]TokenLogprob, 0, k+1)
	for id, lp := range logprobs {
		if len(top) == k && (k == 0 || lp <= top[k-1].Logprob) {
			continue
		}
		// Insert in order; k is small (a display list), so a linear insert is enough.
		i := len(top)
		for i > 0 && top[i-1].Logprob < lp {
			i--
		}
		top = append(top, TokenLogprob{})
		copy(top[i+1:], top[i:])
		top[i] = TokenLogprob{ID: int32(id), Logprob: lp}
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// GeneratedToken is one token of a generation: its id, its log-probability under the
// model (log-softmax of the raw logits, before any sampling transform) and the most
// likely alternatives.
type GeneratedToken struct {
	ID      int32
	Logprob float64
	Top     []TokenLogprob
}

// GenerateOptions control Generate.
type GenerateOptions struct {
	// MaxTokens bounds the generated tokens.
	MaxTokens int
	// TopLogprobs is the number of alternatives reported per token.
	TopLogprobs int
	// StopTokens end the generation; the stop token itself is not reported.
	StopTokens []int32
	// Pick chooses the next token from the logits ([vocab]) given the history (prompt
	// then generated ids); nil picks the argmax.
	Pick func(logits []float32, history []int32) (int32, error)
}

// Stop reasons of a generation.
const (
	StopToken   = "stop"    // a stop token was generated
	StopLength  = "length"  // MaxTokens were generated
	StopContext = "context" // the context length was reached
)

// Generation is the result of Generate.
type Generation struct {
	PromptTokens   int
	Tokens         []GeneratedToken
	StopReason     string
	PrefillSeconds float64
	DecodeSeconds  float64
	DecodeSteps    int
}

// Generate prefills prompt and generates up to opts.MaxTokens tokens one sequence at
// a time, calling onToken (when not nil) as each token is chosen.
func Generate(e Engine, prompt []int32, opts GenerateOptions,
	onToken func(GeneratedToken) error) (*Generation, error) {
	if opts.MaxTokens <= 0 {
		return nil, fmt.Errorf("max tokens must be positive, got %d", opts.MaxTokens)
	}
	pick := opts.Pick
	if pick == nil {
		pick = func(logits []float32, _ []int32) (int32, error) { return Argmax(logits), nil }
	}
	g := &Generation{PromptTokens: len(prompt), StopReason: StopLength}
	logits := make([]float32, e.VocabSize())
	var logprobs []float64
	history := slices.Clone(prompt)

	// Prefill the prompt.
	cache := e.NewCache()
	start := time.Now()
	if err := e.Prefill(cache, prompt, logits); err != nil {
		return nil, err
	}
	g.PrefillSeconds = time.Since(start).Seconds()

	// Pick, report, then decode the picked token, until a stop.
	start = time.Now()
	for {
		id, err := pick(logits, history)
		if err != nil {
			return g, err
		}
		if slices.Contains(opts.StopTokens, id) {
			g.StopReason = StopToken
			break
		}
		logprobs = LogSoftmax(logprobs, logits)
		tok := GeneratedToken{ID: id, Logprob: logprobs[id]}
		if opts.TopLogprobs > 0 {
			tok.Top = TopK(logprobs, opts.TopLogprobs)
		}
		g.Tokens = append(g.Tokens, tok)
		history = append(history, id)
		if onToken != nil {
			if err := onToken(tok); err != nil {
				return g, err
			}
		}
		if len(g.Tokens) == opts.MaxTokens {
			break
		}
		if cache.Len() == e.ContextLength() {
			g.StopReason = StopContext
			break
		}
		if err := e.DecodeBatch([]*Cache{cache}, []int32{id}, logits); err != nil {
			return g, err
		}
		g.DecodeSteps++
	}
	g.DecodeSeconds = time.Since(start).Seconds()
	return g, nil
}
