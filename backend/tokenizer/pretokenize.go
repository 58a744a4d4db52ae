package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The Split pre-tokenizers of byte-level BPE files use one of a few regular
// expressions, evaluated by HF tokenizers with Oniguruma (backtracking, leftmost-first
// alternation). Go's regexp cannot express their `\s+(?!\S)` lookahead, so each known
// pattern has a hand-written scanner below with the same semantics; a file with any
// other pattern is rejected (see buildSplit).
const (
	// llama3Regex is the Split pattern of Llama 3, 3.1, 3.2 and 3.3.
	llama3Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// qwen2Regex is the Split pattern of Qwen2, 2.5 and 3: Llama 3's with single digits.
	qwen2Regex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// gpt2Regex is the pattern HF's ByteLevel pre-tokenizer applies when use_regex is
	// true; some files also spell it out as a Split.
	gpt2Regex = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

// scanner splits text the way one known pattern's matches do.
type scanner struct {
	// llamaStyle selects the Llama 3 / Qwen2 alternatives (case-insensitive
	// contractions, one optional non-letter before letters, newline runs); otherwise
	// GPT-2's.
	llamaStyle bool
	// maxDigits bounds a run of numbers (3 for Llama 3, 1 for Qwen2); 0 means no bound.
	maxDigits int
}

var (
	llama3Pattern = scanner{llamaStyle: true, maxDigits: 3}
	qwen2Pattern  = scanner{llamaStyle: true, maxDigits: 1}
	gpt2Pattern   = scanner{}

	knownPatterns = map[string]scanner{
		llama3Regex: llama3Pattern,
		qwen2Regex:  qwen2Pattern,
		gpt2Regex:   gpt2Pattern,
	}
)

// charClass partitions characters the way the patterns distinguish them.
type charClass uint8

const (
	classOther   charClass = iota // not \s, \p{L} or \p{N}
	classLetter                   // \p{L}
	classNumber                   // \p{N}
	classSpace                    // \s other than \r and \n
	classNewline                  // \r or \n
	classEnd                      // past the end of the text
)

// asciiClass classifies the bytes below 0x80.
var asciiClass [utf8.RuneSelf]charClass

func init() {
	for b := 0; b < utf8.RuneSelf; b++ {
		asciiClass[b] = classOfRune(rune(b))
	}
}

// classOfRune uses Unicode's White_Space property for \s, which is what Oniguruma
// matches (and what Go's unicode.IsSpace implements).
func classOfRune(r rune) charClass {
	switch {
	case r == '\r' || r == '\n':
		return classNewline
	case unicode.IsSpace(r):
		return classSpace
	case r >= 0xAC00 && r <= 0xD7A3, r >= 0x4E00 && r <= 0x9FFF:
		// Hangul syllables and CJK unified ideographs: all letters (Lo), checked first
		// because Korean and Chinese text is common and the table lookup is slower.
		return classLetter
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	}
	return classOther
}

// classAt returns the class of the character starting at text[i] and its size in bytes.
func classAt(text string, i int) (charClass, int) {
	if i >= len(text) {
		return classEnd, 0
	}
	if b := text[i]; b < utf8.RuneSelf {
		return asciiClass[b], 1
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return classOfRune(r), size
}

// runEnd returns the end of the run of characters of class c that starts at i, taking
// at most limit characters when limit > 0.
func runEnd(text string, i int, c charClass, limit int) int {
	for n := 0; limit == 0 || n < limit; n++ {
		ci, size := classAt(text, i)
		if ci != c {
			break
		}
		i += size
	}
	return i
}

// isSpaceClass reports whether c is matched by \s.
func isSpaceClass(c charClass) bool { return c == classSpace || c == classNewline }

// split emits the pieces of text: every match of the pattern, and any text between
// matches (HF's Isolated behavior). The known patterns match every character, so in
// practice the pieces are exactly the matches.
func (s scanner) split(text string, emit func(string)) {
	for i := 0; i < len(text); {
		var end int
		if s.llamaStyle {
			end = s.matchLlama(text, i)
		} else {
			end = s.matchGPT2(text, i)
		}
		emit(text[i:end])
		i = end
	}
}

// contraction returns the length of an English contraction suffix ('s, 't, 're, 've,
// 'm, 'll, 'd) at text[i], or 0. foldCase matches letters of either case, as the Llama
// 3 pattern's (?i:...) group does; like HF's own JavaScript port this folds ASCII only.
func contraction(text string, i int, foldCase bool) int {
	if text[i] != '\'' || i+1 >= len(text) {
		return 0
	}
	lower := func(k int) byte {
		if k >= len(text) {
			return 0
		}
		b := text[k]
		if foldCase && b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		return b
	}
	switch lower(i + 1) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if lower(i+2) == 'e' {
			return 3
		}
	case 'l':
		if lower(i+2) == 'l' {
			return 3
		}
	}
	return 0
}

// matchLlama returns the end of the match at text[i] of
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// trying the alternatives in order, as a backtracking engine does.
func (s scanner) matchLlama(text string, i int) int {
	if n := contraction(text, i, true); n > 0 {
		return i + n
	}
	c0, size0 := classAt(text, i)
	c1, _ := classAt(text, i+size0)

	switch {
	case c0 == classLetter:
		return runEnd(text, i, classLetter, 0)
	case c0 != classNewline && c0 != classNumber && c1 == classLetter:
		// One character that is not a newline, letter or number, then letters.
		return runEnd(text, i+size0, classLetter, 0)
	case c0 == classNumber:
		return runEnd(text, i, classNumber, s.maxDigits)
	case text[i] == ' ' && c1 == classOther:
		end := runEnd(text, i+1, classOther, 0)
		return runEnd(text, end, classNewline, 0)
	case c0 == classOther:
		end := runEnd(text, i, classOther, 0)
		return runEnd(text, end, classNewline, 0)
	}
	return matchSpaces(text, i, true)
}

// matchGPT2 returns the end of the match at text[i] of
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func (s scanner) matchGPT2(text string, i int) int {
	if n := contraction(text, i, false); n > 0 {
		return i + n
	}
	c0, size0 := classAt(text, i)
	if text[i] == ' ' {
		if c1, _ := classAt(text, i+1); c1 == classLetter || c1 == classNumber || c1 == classOther {
			return runEnd(text, i+1, c1, 0)
		}
	}
	if c0 == classLetter || c0 == classNumber || c0 == classOther {
		return runEnd(text, i+size0, c0, 0)
	}
	return matchSpaces(text, i, false)
}

// matchSpaces handles the whitespace alternatives at text[i], which starts a run of
// whitespace W. With newlines (Llama 3 / Qwen2 only), `\s*[\r\n]+` comes first: it
// matches W up to and including its last \r or \n. Then `\s+(?!\S)` matches all of W
// at the end of the text and otherwise W without its last character (so that the
// space before a word stays with the word), when W has two or more characters.
// Finally `\s+` matches W.
func matchSpaces(text string, i int, newlines bool) int {
	end, lastNewline, lastStart, count := i, -1, i, 0
	for {
		c, size := classAt(text, end)
		if !isSpaceClass(c) {
			break
		}
		if c == classNewline {
			lastNewline = end
		}
		lastStart = end
		end += size
		count++
	}
	switch {
	case newlines && lastNewline >= 0:
		return lastNewline + 1
	case end == len(text) || count == 1:
		return end
	}
	return lastStart
}
