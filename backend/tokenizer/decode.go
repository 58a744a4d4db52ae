package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Decode returns the text of ids, dropping special tokens when skipSpecialTokens is
// set. Like HF tokenizers' decode, it joins the bytes of every token and replaces each
// ill-formed UTF-8 sequence with U+FFFD (so a lone byte token of a multi-byte
// character decodes to U+FFFD); ids outside the vocabulary are skipped.
func (t *Tokenizer) Decode(ids []int32, skipSpecialTokens bool) string {
	var raw []byte
	for _, id := range ids {
		raw = append(raw, t.idBytes(id, skipSpecialTokens)...)
	}
	return string(appendValidUTF8(make([]byte, 0, len(raw)), raw, true))
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

// StreamDecoder turns ids into text as they arrive. The concatenation of everything it
// returns equals Decode of all the ids it was given: bytes of a character split over
// several tokens (a Hangul syllable, an emoji) are held back until the character is
// complete, and an ill-formed sequence becomes U+FFFD as soon as it is known to be one.
type StreamDecoder struct {
	t       *Tokenizer
	skip    bool
	pending []byte // bytes of an incomplete trailing sequence, at most 3
}

// NewStreamDecoder returns a decoder for one stream of generated ids.
func (t *Tokenizer) NewStreamDecoder(skipSpecialTokens bool) *StreamDecoder {
	return &StreamDecoder{t: t, skip: skipSpecialTokens}
}

// Add consumes one id and returns the text it completes, possibly "".
func (d *StreamDecoder) Add(id int32) string {
	d.pending = append(d.pending, d.t.idBytes(id, d.skip)...)
	out, used := appendValidPrefix(nil, d.pending, false)
	d.pending = append(d.pending[:0], d.pending[used:]...)
	return string(out)
}

// Flush returns the text of any bytes still held back (U+FFFD for an incomplete
// sequence) and resets the decoder.
func (d *StreamDecoder) Flush() string {
	out := appendValidUTF8(nil, d.pending, true)
	d.pending = d.pending[:0]
	return string(out)
}
