package main

// #cgo CXXFLAGS: -std=c++17
// #include <stdlib.h>
// #include "llama.h"
//
// static void quiet_log(enum ggml_log_level level, const char * text, void * user) {
//     if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
// }
// static void set_quiet(void) { llama_log_set(quiet_log, NULL); }
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	// The cgo package that compiles llama.cpp and ggml's CPU backend.
	_ "github.com/ollama/ollama/llama/llama.cpp/src"
)

// llamaRunner is one llama.cpp model and context: F32 KV cache, flash attention off,
// one thread, so the numbers are as exact as llama.cpp's CPU path allows.
type llamaRunner struct {
	model *C.struct_llama_model
	ctx   *C.struct_llama_context
	vocab int
}

func newLlamaRunner(gguf string, nCtx int) (*llamaRunner, error) {
	C.set_quiet()
	C.llama_backend_init()
	mp := C.llama_model_default_params()
	path := C.CString(gguf)
	defer C.free(unsafe.Pointer(path))
	model := C.llama_model_load_from_file(path, mp)
	if model == nil {
		return nil, fmt.Errorf("llama.cpp could not load %s", gguf)
	}
	cp := C.llama_context_default_params()
	cp.n_ctx = C.uint32_t(nCtx)
	cp.n_batch = C.uint32_t(nCtx)
	cp.n_ubatch = C.uint32_t(nCtx)
	cp.n_threads = 1
	cp.n_threads_batch = 1
	cp.type_k = C.GGML_TYPE_F32
	cp.type_v = C.GGML_TYPE_F32
	cp.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_DISABLED
	ctx := C.llama_init_from_model(model, cp)
	if ctx == nil {
		C.llama_model_free(model)
		return nil, errors.New("llama.cpp could not create a context")
	}
	vocab := C.llama_model_get_vocab(model)
	return &llamaRunner{model: model, ctx: ctx, vocab: int(C.llama_vocab_n_tokens(vocab))}, nil
}

// decode appends tokens to the sequence and returns the logits of the last one.
func (r *llamaRunner) decode(tokens []int32) ([]float32, error) {
	ids := make([]C.llama_token, len(tokens))
	for i, t := range tokens {
		ids[i] = C.llama_token(t)
	}
	batch := C.llama_batch_get_one(&ids[0], C.int32_t(len(ids)))
	if rc := C.llama_decode(r.ctx, batch); rc != 0 {
		return nil, fmt.Errorf("llama_decode returned %d", int(rc))
	}
	p := C.llama_get_logits_ith(r.ctx, -1)
	if p == nil {
		return nil, errors.New("llama.cpp returned no logits")
	}
	return append([]float32(nil), unsafe.Slice((*float32)(unsafe.Pointer(p)), r.vocab)...), nil
}

func (r *llamaRunner) close() {
	C.llama_free(r.ctx)
	C.llama_model_free(r.model)
	C.llama_backend_free()
}
