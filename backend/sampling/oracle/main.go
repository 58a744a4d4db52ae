// Command oracle runs llama.cpp's own samplers (the copy the Go module
// github.com/ollama/ollama carries) on fixed logits and prints, for each case, the
// kept candidates with their probabilities and the penalized logits. The output is
// backend/sampling/testdata/llamacpp.json, which TestLlamaCppOracle compares with the
// llama.cpp chain of package sampling. A separate module so that its cgo build stays
// out of the app's; see regen.sh.
package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
)

// knobs are one case's sampler settings, named like common_params_sampling.
type knobs struct {
	LastN   int     `json:"penalty_last_n"`
	Repeat  float32 `json:"penalty_repeat"`
	Freq    float32 `json:"penalty_freq"`
	Present float32 `json:"penalty_present"`
	TopK    int     `json:"top_k"`
	TopP    float32 `json:"top_p"`
	MinP    float32 `json:"min_p"`
	Temp    float32 `json:"temp"`
}

type oracleCase struct {
	Knobs   knobs       `json:"knobs"`
	Logits  []float32   `json:"logits"`
	History []int32     `json:"history"`
	Result  chainResult `json:"result"`
}

func main() {
	r := rand.New(rand.NewPCG(2026, 12))
	settings := []knobs{
		{64, 1.0, 0, 0, 40, 0.95, 0.05, 0.8},   // llama.cpp defaults
		{64, 1.1, 0, 0, 40, 0.95, 0.05, 0.8},   // with a repetition penalty
		{64, 1.3, 0.2, 0.4, 0, 0.9, 0, 1.2},    // penalties, no top_k
		{8, 1.5, 0.1, 0.5, 10, 1, 0.1, 0.5},    // short window
		{64, 1, 0, 0, 0, 0.5, 0, 1},            // top_p only
		{64, 1, 0, 0, 5, 1, 0, 2},              // top_k only
		{64, 1, 0, 0, 0, 1, 0.2, 1},            // min_p only
		{64, 0.8, 0, 0, 1000, 0.99, 0.01, 0.7}, // penalty < 1, top_k > vocab
	}
	var cases []oracleCase
	for i, k := range settings {
		for j := range 3 {
			vocab := []int{50, 300, 2000}[j]
			logits := make([]float32, vocab)
			for t := range logits {
				logits[t] = float32(r.NormFloat64() * []float64{1, 2.5, 4}[(i+j)%3])
			}
			history := make([]int32, 20+r.IntN(100))
			for t := range history {
				history[t] = int32(r.IntN(min(vocab, 40)))
			}
			cases = append(cases, oracleCase{Knobs: k, Logits: logits, History: history,
				Result: runChain(logits, history, k)})
		}
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(cases); err != nil {
		os.Exit(1)
	}
}
