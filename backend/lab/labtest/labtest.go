// Package labtest writes a tiny but complete model directory for tests of the lab and
// the CLI: a random-weight llama checkpoint from backend/model/modeltest with a
// byte-level BPE tokenizer (one token per byte, no merges), three special tokens, a
// chat template and a stop token. It generates gibberish, deterministically.
package labtest

import (
	"encoding/json"
	"fmt"

	"github.com/knobs-app/knobs/backend/model/modeltest"
)

// Special token ids, after the 256 byte tokens.
const (
	BOS   = 256 // <|bos|>, added to raw prompts
	EOT   = 257 // <|eot|>, the stop token
	Start = 258 // <|start|>, opens a chat turn
	Vocab = 259
)

// ContextLength is the model's max_position_embeddings, the lab's context.
const ContextLength = 512

// chatTemplate renders turns as <|start|>role\ncontent<|eot|>.
const chatTemplate = `{{ bos_token }}{% for m in messages %}<|start|>{{ m.role }}
{{ m.content }}<|eot|>{% endfor %}{% if add_generation_prompt %}<|start|>assistant
{% endif %}`

// Spec returns the checkpoint spec; seed picks the weights.
func Spec(seed uint64) modeltest.Spec {
	s, ok := modeltest.Tiny("tiny-llama-q4")
	if !ok {
		panic("labtest: modeltest has no tiny-llama-q4")
	}
	s.VocabSize = Vocab
	s.MaxPositionEmbeddings = ContextLength
	s.BOSTokenID, s.EOSTokenIDs = BOS, []int{EOT}
	s.Seed = seed
	s.Files = map[string][]byte{
		"tokenizer.json":        tokenizerJSON(),
		"tokenizer_config.json": tokenizerConfigJSON(),
	}
	return s
}

// WriteModel writes the test model into dir.
func WriteModel(dir string) error {
	if err := modeltest.Write(dir, Spec(7)); err != nil {
		return fmt.Errorf("labtest: %w", err)
	}
	return nil
}

// byteChars is GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for
// themselves, the others are shifted to U+0100 and up, in byte order.
func byteChars() [256]rune {
	var m [256]rune
	next := rune(256)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = next
			next++
		}
	}
	return m
}

func tokenizerJSON() []byte {
	chars := byteChars()
	vocab := map[string]int{}
	for b, r := range chars {
		vocab[string(r)] = b
	}
	special := func(id int, content string) map[string]any {
		return map[string]any{"id": id, "content": content, "single_word": false,
			"lstrip": false, "rstrip": false, "normalized": false, "special": true}
	}
	doc := map[string]any{
		"version":    "1.0",
		"truncation": nil, "padding": nil,
		"added_tokens": []any{
			special(BOS, "<|bos|>"), special(EOT, "<|eot|>"), special(Start, "<|start|>"),
		},
		"normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "ByteLevel", "add_prefix_space": false,
			"trim_offsets": true, "use_regex": true},
		"post_processor": map[string]any{
			"type": "TemplateProcessing",
			"single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "<|bos|>", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			},
			"pair": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "<|bos|>", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "B", "type_id": 1}},
			},
			"special_tokens": map[string]any{
				"<|bos|>": map[string]any{"id": "<|bos|>", "ids": []int{BOS},
					"tokens": []string{"<|bos|>"}},
			},
		},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true,
			"trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil,
			"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false,
			"byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": []any{}},
	}
	out, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		panic(err)
	}
	return out
}

func tokenizerConfigJSON() []byte {
	out, err := json.MarshalIndent(map[string]any{
		"bos_token": "<|bos|>", "eos_token": "<|eot|>", "chat_template": chatTemplate,
	}, "", " ")
	if err != nil {
		panic(err)
	}
	return out
}
