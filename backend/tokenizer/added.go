package tokenizer

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedVocab finds added tokens (special ones such as <|eot_id|> and normal ones such
// as Qwen's <think>) in text before the pre-tokenizer sees it, as HF's
// AddedVocabulary does: leftmost-longest matches, first over the raw text for tokens
// with normalized=false, then over the normalized remainder for the others.
type addedVocab struct {
	tokens    []addedTokenJSON
	byContent map[string]int32
	raw       matcher // tokens with normalized=false
	norm      matcher // tokens with normalized=true
}

// matcher finds the leftmost-longest occurrence of any of a set of tokens.
type matcher struct {
	// byFirst[b] lists indices into addedVocab.tokens of the tokens starting with byte
	// b, longest first.
	byFirst [256][]int
	any     bool
}

func newAddedVocab(tokens []addedTokenJSON) (*addedVocab, error) {
	a := &addedVocab{tokens: tokens, byContent: make(map[string]int32, len(tokens))}
	for k, tok := range tokens {
		if tok.Content == "" {
			return nil, fmt.Errorf("added_tokens[%d] (id %d) has empty content", k, tok.ID)
		}
		if tok.ID < 0 {
			return nil, fmt.Errorf("added_tokens[%d] %q has negative id %d", k, tok.Content, tok.ID)
		}
		a.byContent[tok.Content] = tok.ID
		m := &a.raw
		if tok.Normalized {
			m = &a.norm
		}
		first := tok.Content[0]
		m.byFirst[first] = append(m.byFirst[first], k)
		m.any = true
	}
	for _, m := range []*matcher{&a.raw, &a.norm} {
		for b := range m.byFirst {
			list := m.byFirst[b]
			sort.SliceStable(list, func(i, j int) bool {
				return len(tokens[list[i]].Content) > len(tokens[list[j]].Content)
			})
		}
	}
	return a, nil
}

// find returns the leftmost-longest token occurrence in text at or after from: the
// index of the token and where it starts, or -1.
func (m *matcher) find(tokens []addedTokenJSON, text string, from int) (tok, start int) {
	for i := from; i < len(text); i++ {
		for _, k := range m.byFirst[text[i]] {
			if strings.HasPrefix(text[i:], tokens[k].Content) {
				return k, i
			}
		}
	}
	return -1, -1
}

// split cuts text into runs of plain text (passed to onText) and added tokens (ids
// appended to dst), applying single_word, lstrip and rstrip as HF does.
func (a *addedVocab) split(m *matcher, dst []int32, text string,
	onText func(dst []int32, text string) []int32) []int32 {
	if !m.any {
		return onText(dst, text)
	}
	done := 0 // text[:done] has been emitted
	for from := 0; from < len(text); {
		k, start := m.find(a.tokens, text, from)
		if k < 0 {
			break
		}
		tok := &a.tokens[k]
		stop := start + len(tok.Content)
		from = stop
		if start < done {
			continue // inside whitespace an earlier rstrip consumed
		}
		if tok.SingleWord && !(start == 0 || !endsWithWordChar(text[:start])) ||
			tok.SingleWord && !(stop == len(text) || !startsWithWordChar(text[stop:])) {
			continue
		}
		if tok.LStrip {
			start = done + len(strings.TrimRightFunc(text[done:start], unicode.IsSpace))
		}
		if tok.RStrip {
			stop = len(text) - len(strings.TrimLeftFunc(text[stop:], unicode.IsSpace))
		}
		if done < start {
			dst = onText(dst, text[done:start])
		}
		dst = append(dst, tok.ID)
		done = stop
		from = stop
	}
	if done < len(text) {
		dst = onText(dst, text[done:])
	}
	return dst
}

// isWordChar is Rust's char::is_alphanumeric, which HF uses for single_word.
func isWordChar(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

func endsWithWordChar(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordChar(r)
}
