package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Byte-level BPE (GPT-2's scheme) spells every byte as a printable character so that
// vocabulary entries are strings: the printable Latin-1 bytes stand for themselves and
// the other 68 bytes are mapped, in order, to U+0100 and up. byteChar[b] is the
// character for byte b; charByte inverts it (-1 for characters outside the alphabet,
// which all lie below U+0144, the last of the 68).
var (
	byteChar [256]rune
	charByte [0x144]int16
)

func init() {
	for r := range charByte {
		charByte[r] = -1
	}
	next := rune(256)
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if printable {
			byteChar[b] = rune(b)
		} else {
			byteChar[b] = next
			next++
		}
		charByte[byteChar[b]] = int16(b)
	}
}

// byteLevelDecode maps a vocabulary entry back to the bytes it stands for. As in HF's
// ByteLevel decoder, a token containing a character outside the byte alphabet (an added
// token such as "\n\n" or one with spaces) is taken as its own UTF-8 text.
func byteLevelDecode(token string) []byte {
	return appendByteLevelDecoded(make([]byte, 0, len(token)), token)
}

// appendByteLevelDecoded appends the bytes token stands for to dst (see
// byteLevelDecode).
func appendByteLevelDecoded[T string | []byte](dst []byte, token T) []byte {
	start := len(dst)
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c >= '!' && c <= '~' {
			dst = append(dst, c) // printable ASCII stands for itself
			continue
		}
		// Every other character of the alphabet is below U+0144: two bytes in UTF-8.
		if c < 0xC2 || c > 0xC5 || i+1 == len(token) || token[i+1]&0xC0 != 0x80 {
			return append(dst[:start], token...)
		}
		r := rune(c&0x1F)<<6 | rune(token[i+1]&0x3F)
		if r >= rune(len(charByte)) || charByte[r] < 0 {
			return append(dst[:start], token...)
		}
		dst = append(dst, byte(charByte[r]))
		i++
	}
	return dst
}

// byteLevelEncode spells raw bytes in the byte alphabet (the form vocabulary entries
// and merges use in tokenizer.json).
func byteLevelEncode(raw string) string {
	out := make([]rune, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		out = append(out, byteChar[raw[i]])
	}
	return string(out)
}

// A splitter cuts text into pieces and passes each, in order, to emit. Pieces are
// substrings of text, except where a step inserts a prefix space.
type splitter func(text string, emit func(piece string))

func wholeText(text string, emit func(string)) { emit(text) }

// chain runs next over every piece that first produces. A nil splitter passes text
// through unchanged.
func chain(first, next splitter) splitter {
	switch {
	case first == nil:
		return next
	case next == nil:
		return first
	}
	return func(text string, emit func(string)) {
		first(text, func(piece string) { next(piece, emit) })
	}
}

// byteLevelSplitter is HF's ByteLevel pre-tokenizer. The byte mapping itself happens in
// the BPE model, which works on raw bytes; here only the optional prefix space and the
// GPT-2 split pattern remain, and without them the step is nil (nothing to do).
func byteLevelSplitter(addPrefixSpace, useRegex bool) splitter {
	if !addPrefixSpace && !useRegex {
		return nil
	}
	return func(text string, emit func(string)) {
		if addPrefixSpace && (len(text) == 0 || text[0] != ' ') {
			text = " " + text
		}
		if useRegex {
			gpt2Pattern.split(text, emit)
			return
		}
		emit(text)
	}
}

// digitsSplitter is HF's Digits pre-tokenizer: runs of numeric characters (Rust's
// char::is_numeric, the Unicode N categories) are isolated, one per piece when
// individual is set.
func digitsSplitter(individual bool) splitter {
	return func(text string, emit func(string)) {
		start := 0
		inDigits := false
		for i, r := range text {
			digit := unicode.IsNumber(r)
			switch {
			case i == start:
			case digit && individual:
				emit(text[start:i])
				start = i
			case digit != inDigits:
				emit(text[start:i])
				start = i
			}
			inDigits = digit
		}
		if start < len(text) {
			emit(text[start:])
		}
	}
}

// validUTF8 returns s with every ill-formed sequence replaced by U+FFFD, one per
// maximal subpart (Unicode's "best practice", as in WHATWG's TextDecoder, Python's
// errors="replace" and Rust's String::from_utf8_lossy).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string(appendValidUTF8(nil, []byte(s), true))
}

// appendValidUTF8 appends p to dst with ill-formed sequences replaced as validUTF8
// does. When final is false, an incomplete sequence at the end of p (one that more
// bytes could still complete) is left out; the caller keeps it for later.
func appendValidUTF8(dst, p []byte, final bool) []byte {
	dst, _ = appendValidPrefix(dst, p, final)
	return dst
}

// appendValidPrefix is appendValidUTF8 that also returns how many bytes of p it used.
func appendValidPrefix(dst, p []byte, final bool) ([]byte, int) {
	i := 0
	for i < len(p) {
		if p[i] < utf8.RuneSelf {
			dst = append(dst, p[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r != utf8.RuneError || size > 1 {
			dst = append(dst, p[i:i+size]...)
			i += size
			continue
		}
		n, complete := maximalSubpart(p[i:])
		if !complete && !final {
			return dst, i
		}
		dst = append(dst, "\uFFFD"...)
		i += n
	}
	return dst, i
}

// maximalSubpart measures the ill-formed sequence at the start of p: the longest prefix
// that begins a well-formed sequence (at least one byte). complete is false when that
// prefix runs to the end of p, so more bytes might still complete the sequence.
func maximalSubpart(p []byte) (n int, complete bool) {
	b := p[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case b >= 0xC2 && b <= 0xDF:
		need = 1
	case b == 0xE0:
		need, lo = 2, 0xA0
	case b >= 0xE1 && b <= 0xEC, b == 0xEE, b == 0xEF:
		need = 2
	case b == 0xED:
		need, hi = 2, 0x9F
	case b == 0xF0:
		need, lo = 3, 0x90
	case b >= 0xF1 && b <= 0xF3:
		need = 3
	case b == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1, true // a byte that never starts a sequence
	}
	n = 1
	for k := 1; k <= need; k++ {
		if n >= len(p) {
			return n, false
		}
		c := p[n]
		if k == 1 && (c < lo || c > hi) || k > 1 && (c < 0x80 || c > 0xBF) {
			return n, true
		}
		n++
	}
	// A complete sequence would have decoded; not reached for well-formed input.
	return n, true
}
