package tokenizer

// Encode returns the token ids of text, with the special tokens of the post-processor
// (Llama 3's <|begin_of_text|>) around them when addSpecialTokens is set. It matches
// HF tokenizers' encode(text, add_special_tokens).
//
// Text that is not valid UTF-8 cannot reach HF's encode (Rust and Python strings are
// always valid); Encode first replaces each ill-formed sequence with U+FFFD, one per
// maximal subpart, which is what a caller decoding the bytes with errors="replace" or
// JavaScript's TextDecoder would pass.
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) []int32 {
	text = validUTF8(text)
	ids := make([]int32, 0, len(text)/3+len(t.post.prefix)+len(t.post.suffix)+1)
	if addSpecialTokens {
		ids = append(ids, t.post.prefix...)
	}
	ids = t.added.split(&t.added.raw, ids, text, t.encodeNormalized)
	if addSpecialTokens {
		ids = append(ids, t.post.suffix...)
	}
	return ids
}

// encodeNormalized encodes a run of text free of non-normalized added tokens.
func (t *Tokenizer) encodeNormalized(dst []int32, text string) []int32 {
	if t.normalize != nil {
		text = t.normalize(text)
	}
	return t.added.split(&t.added.norm, dst, text, t.encodeWords)
}

// encodeWords pre-tokenizes text free of added tokens and runs BPE on every word.
func (t *Tokenizer) encodeWords(dst []int32, text string) []int32 {
	t.preSplit(text, func(word string) {
		if word != "" {
			dst = t.bpe.appendWord(dst, word)
		}
	})
	return dst
}
