package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Decode returns the text of ids, dropping special tokens when skipSpecialTokens is
// set. Like HF tokenizers' decode, it joins the bytes of every token and replaces each
// ill-formed UTF-8 sequence with U+FFFD (so a lone byte token of a multi-byte
// character decodes to U+FFFD); ids outside the vocabulary are skipped. When
// tokenizer_config.json sets clean_up_tokenization_spaces, the text then goes through
// transformers' clean-up (" ." -> ".", " n't" -> "n't", ...), as transformers' decode
// does.
func (t *Tokenizer) Decode(ids []int32, skipSpecialTokens bool) string {
	var raw []byte
	for _, id := range ids {
		raw = append(raw, t.idBytes(id, skipSpecialTokens)...)
	}
	text := string(appendValidUTF8(make([]byte, 0, len(raw)), raw, true))
	if t.cleanUpSpaces {
		text = cleanUpTokenization(text)
	}
	return text
}

// cleanUps are the replacements of transformers' clean_up_tokenization, in its order.
// Each is applied to the whole text before the next, left to right and without
// overlap (Python's str.replace), so "a  ." loses one space, not two.
var cleanUps = [][2]string{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
	{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

// cleanUpTokenization removes the spaces English word-level tokenizers put before
// punctuation and contractions, as transformers' clean_up_tokenization does.
func cleanUpTokenization(text string) string {
	for _, r := range cleanUps {
		text = strings.ReplaceAll(text, r[0], r[1])
	}
	return text
}

// idBytes returns the bytes id decodes to, or nil for unknown and skipped ids.
func (t *Tokenizer) idBytes(id int32, skipSpecialTokens bool) []byte {
	if id < 0 || int(id) >= len(t.tokenBytes) {
		return nil
	}
	if skipSpecialTokens && t.special[id] {
		return nil
	}
	return t.tokenBytes[id]
}

// TokenText returns the display form of one token: its text when its bytes are valid
// UTF-8, otherwise the valid parts with each stray byte written as <0xAB> (a token that
// holds part of a character, such as the first two bytes of 歪). Unknown ids give "".
func (t *Tokenizer) TokenText(id int32) string {
	raw := t.idBytes(id, false)
	if utf8.Valid(raw) {
		return string(raw)
	}
	var b strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		if r == utf8.RuneError && size <= 1 {
			fmt.Fprintf(&b, "<0x%02X>", raw[0])
			size = 1
		} else {
			b.Write(raw[:size])
		}
		raw = raw[size:]
	}
	return b.String()
}
