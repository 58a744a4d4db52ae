package tokenizer

import (
	"bytes"
	"unicode/utf8"
)

// StreamDecoder turns ids into text as they arrive. Bytes of a character split over
// several tokens (a Hangul syllable, an emoji) are held back until the character is
// complete, and an ill-formed sequence becomes U+FFFD as soon as it is known to be one.
// Skipped special tokens and ids outside the vocabulary leave no trace.
//
// Without clean_up_tokenization_spaces the concatenation of everything it returns
// equals Decode of all the ids it was given. With it, the decoder reproduces what
// mlx-lm prints while generating (BPEStreamingDetokenizer), which cleans up token by
// token and can differ from Decode's whole-text clean-up: see the package comment.
type StreamDecoder struct {
	t       *Tokenizer
	skip    bool
	pending []byte // bytes of an incomplete trailing sequence, at most 3

	// Clean-up state, used only when t.cleanUpSpaces is set. Like mlx-lm, the decoder
	// cuts the stream into chunks: a chunk ends with the token that leaves its text
	// complete (not ending in U+FFFD), unless that token is a lone space. A chunk's
	// leading space is dropped when the rest of the chunk starts with a spaceMatch.
	open     bool   // a chunk has started and not ended
	holding  bool   // held is the open chunk's text, its leading space still undecided
	held     []byte // text of the open chunk from its leading space, while holding
	lastFFFD bool   // the text produced so far ends with U+FFFD
}

// spaceMatches are the texts before which mlx-lm's streaming detokenizer drops a
// chunk's leading space: the targets of transformers' clean_up_tokenization, except
// " ' ", which needs the text after the quote.
var spaceMatches = [][]byte{
	[]byte("."), []byte("?"), []byte("!"), []byte(","),
	[]byte("n't"), []byte("'m"), []byte("'s"), []byte("'ve"), []byte("'re"),
}

// NewStreamDecoder returns a decoder for one stream of generated ids.
func (t *Tokenizer) NewStreamDecoder(skipSpecialTokens bool) *StreamDecoder {
	return &StreamDecoder{t: t, skip: skipSpecialTokens}
}

// Add consumes one id and returns the text it completes, possibly "".
func (d *StreamDecoder) Add(id int32) string {
	b := d.t.idBytes(id, d.skip)
	if !d.t.cleanUpSpaces {
		return string(d.feed(nil, b))
	}
	if len(b) == 0 {
		return ""
	}
	return string(d.addCleaned(b))
}

// feed appends the bytes of one token to the pending ones and appends to dst the
// text they complete.
func (d *StreamDecoder) feed(dst, b []byte) []byte {
	d.pending = append(d.pending, b...)
	out, used := appendValidPrefix(dst, d.pending, false)
	d.pending = append(d.pending[:0], d.pending[used:]...)
	return out
}

// addCleaned is Add with clean_up_tokenization_spaces, for a token with bytes b.
func (d *StreamDecoder) addCleaned(b []byte) []byte {
	// Decode the token. A chunk that starts with a space is held back until it is
	// known whether the space stays; pending is empty when a chunk starts, because
	// the previous chunk ended on a complete character.
	var out, produced []byte
	switch {
	case !d.open && b[0] == ' ':
		d.held = d.feed(d.held[:0], b)
		d.holding = true
		produced = d.held
	case d.holding:
		n := len(d.held)
		d.held = d.feed(d.held, b)
		produced = d.held[n:]
	default:
		out = d.feed(nil, b)
		produced = out
	}
	d.open = true
	if len(produced) > 0 {
		r, _ := utf8.DecodeLastRune(produced)
		d.lastFFFD = r == utf8.RuneError
	}

	// mlx-lm waits for more tokens while the chunk's text ends in U+FFFD (an
	// incomplete or invalid sequence) or the token is a lone space.
	ended := len(d.pending) == 0 && !d.lastFFFD && !(len(b) == 1 && b[0] == ' ')
	if d.holding {
		if trim, decided := spaceDecision(d.held[1:], ended); decided {
			if trim {
				d.held = d.held[1:]
			}
			out = append(out, d.held...)
			d.holding, d.held = false, d.held[:0]
		}
	}
	if ended {
		d.open = false
	}
	return out
}

// spaceDecision tells whether a chunk's leading space goes, given the text after it.
// It is decided once rest starts with a spaceMatch (the space goes whatever follows)
// or can no longer become one (it stays); final says the chunk has ended.
func spaceDecision(rest []byte, final bool) (trim, decided bool) {
	open := false
	for _, m := range spaceMatches {
		if bytes.HasPrefix(rest, m) {
			return true, true
		}
		open = open || bytes.HasPrefix(m, rest)
	}
	return false, final || !open
}

// Flush returns the text of any bytes still held back (U+FFFD for an incomplete
// sequence) and resets the decoder.
func (d *StreamDecoder) Flush() string {
	out := appendValidUTF8(nil, d.pending, true)
	d.pending = d.pending[:0]
	if d.holding {
		text := append(d.held, out...)
		if trim, _ := spaceDecision(text[1:], true); trim {
			text = text[1:]
		}
		out = text
	}
	d.open, d.holding, d.held, d.lastFFFD = false, false, nil, false
	return string(out)
}
