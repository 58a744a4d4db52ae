package sampling

// Step is what one sampling step did, for the run record and the inspector. JSON keys
// are snake_case and a stable contract (see docs/sampling.md).
type Step struct {
	// Token is the chosen token id.
	Token int32 `json:"token"`
	// Prob is the chosen token's probability in the distribution it was drawn from
	// (after penalties, filters and temperature); 1 for a greedy step.
	Prob float64 `json:"prob"`
	// Entropy is the entropy of that final distribution in nats; 0 for a greedy step.
	Entropy float64 `json:"entropy"`
	// Kept is how many tokens survived every filter (1 for a greedy step).
	Kept int `json:"kept"`
	// Rank is the chosen token's 0-based position in the ranking by penalized logit
	// (ties by lower id): 0 for the most likely token, always 0 for a greedy step.
	Rank int `json:"rank"`
	// Greedy is true when temperature 0 made the step an argmax (no filter, no draw).
	Greedy bool `json:"greedy"`
	// Candidates are the top-ranked tokens by penalized logit, best first, when the
	// caller asked for them (inspectK > 0).
	Candidates []Candidate `json:"candidates,omitempty"`
}

// Candidate is one token as each knob saw it during a step.
type Candidate struct {
	// Token is the token id.
	Token int32 `json:"token"`
	// Logprob is the log-softmax of the raw logits the model produced.
	Logprob float64 `json:"logprob"`
	// PenalizedLogprob is the log-softmax after logit_bias and the penalties.
	PenalizedLogprob float64 `json:"penalized_logprob"`
	// TempProb is the probability after penalties and temperature over the whole
	// vocabulary, before any filter (for a greedy step: 1 for the argmax, else 0).
	TempProb float64 `json:"temp_prob"`
	// RemovedBy names the first filter that removed the token: "top_k", "top_p" or
	// "min_p"; empty if it survived (or the step was greedy).
	RemovedBy string `json:"removed_by,omitempty"`
	// Prob is the token's final sampling probability (0 if removed).
	Prob float64 `json:"prob"`
}
