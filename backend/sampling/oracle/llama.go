package main

// #cgo CXXFLAGS: -std=c++17
// #include <stdlib.h>
// #include "llama.h"
//
// // run_chain applies llama.cpp's own samplers, in common_sampler_init's default order
// // with the neutral samplers left out, to one logits vector. It writes the surviving
// // candidates (ids and the probabilities the dist sampler computes) and the logits
// // after the penalties, and returns the number of survivors.
// static int run_chain(const float * logits, int n, const int32_t * hist, int nhist,
//         int last_n, float rep, float freq, float pres,
//         int top_k, float top_p, float min_p, float temp,
//         int32_t * out_ids, float * out_probs, float * out_penalized) {
//     llama_token_data * d = (llama_token_data *) malloc(n * sizeof(llama_token_data));
//     for (int i = 0; i < n; i++) { d[i].id = i; d[i].logit = logits[i]; d[i].p = 0; }
//     llama_token_data_array arr = { d, (size_t) n, -1, false };
//
//     struct llama_sampler * pen = llama_sampler_init_penalties(last_n, rep, freq, pres);
//     for (int i = 0; i < nhist; i++) llama_sampler_accept(pen, hist[i]);
//     llama_sampler_apply(pen, &arr);
//     for (int i = 0; i < n; i++) out_penalized[d[i].id] = d[i].logit;
//
//     struct llama_sampler * s[5] = {
//         llama_sampler_init_top_k(top_k),
//         llama_sampler_init_top_p(top_p, 0),
//         llama_sampler_init_min_p(min_p, 0),
//         llama_sampler_init_temp_ext(temp, 0.0f, 1.0f),
//         llama_sampler_init_dist(1234),
//     };
//     for (int j = 0; j < 5; j++) llama_sampler_apply(s[j], &arr);
//     int kept = (int) arr.size;
//     for (int i = 0; i < kept; i++) { out_ids[i] = arr.data[i].id; out_probs[i] = arr.data[i].p; }
//
//     for (int j = 0; j < 5; j++) llama_sampler_free(s[j]);
//     llama_sampler_free(pen);
//     free(d);
//     return kept;
// }
import "C"

import (
	"unsafe"

	// The cgo package that compiles llama.cpp and ggml's CPU backend.
	_ "github.com/ollama/ollama/llama/llama.cpp/src"
)

// chainResult is what llama.cpp kept and the probabilities it would draw from.
type chainResult struct {
	Kept      []int32   `json:"kept"`
	Probs     []float32 `json:"probs"`
	Penalized []float32 `json:"penalized"`
}

func runChain(logits []float32, history []int32, c knobs) chainResult {
	n := len(logits)
	ids := make([]int32, n)
	probs := make([]float32, n)
	pen := make([]float32, n)
	var hist *C.int32_t
	if len(history) > 0 {
		hist = (*C.int32_t)(unsafe.Pointer(&history[0]))
	}
	kept := C.run_chain((*C.float)(unsafe.Pointer(&logits[0])), C.int(n), hist,
		C.int(len(history)), C.int(c.LastN), C.float(c.Repeat), C.float(c.Freq),
		C.float(c.Present), C.int(c.TopK), C.float(c.TopP), C.float(c.MinP), C.float(c.Temp),
		(*C.int32_t)(unsafe.Pointer(&ids[0])), (*C.float)(unsafe.Pointer(&probs[0])),
		(*C.float)(unsafe.Pointer(&pen[0])))
	return chainResult{Kept: ids[:kept], Probs: probs[:kept], Penalized: pen}
}
