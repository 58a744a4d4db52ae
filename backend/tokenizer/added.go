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
	// byFirst[b] lists the patterns starting with byte b, longest first.
	byFirst [256][]pattern
	any     bool
}

// pattern is the text a matcher looks for and the index of its token in
// addedVocab.tokens.
type pattern struct {
	text string
	tok  int
}

// newAddedVocab indexes the added tokens. Tokens with normalized=true are looked for
// in normalized text, so their own content is normalized first (as HF does).
func newAddedVocab(tokens []addedTokenJSON, normalize func(string) string) (*addedVocab, error) {
	a := &addedVocab{tokens: tokens, byContent: make(map[string]int32, len(tokens))}
	for k, tok := range tokens {
		if tok.Content == "" {
			return nil, fmt.Errorf("added_tokens[%d] (id %d) has empty content", k, tok.ID)
		}
		if err := checkID(tok.ID); err != nil {
			return nil, fmt.Errorf("added_tokens[%d] %q: %w", k, tok.Content, err)
		}
		a.byContent[tok.Content] = tok.ID
		m, text := &a.raw, tok.Content
		if tok.Normalized {
			m = &a.norm
			if normalize != nil {
				text = normalize(text)
			}
		}
		if text == "" {
			continue
		}
		m.byFirst[text[0]] = append(m.byFirst[text[0]], pattern{text, k})
		m.any = true
	}
	for _, m := range []*matcher{&a.raw, &a.norm} {
		for b := range m.byFirst {
			list := m.byFirst[b]
			sort.SliceStable(list, func(i, j int) bool { return len(list[i].text) > len(list[j].text) })
		}
	}
	return a, nil
}

// find returns the leftmost-longest pattern occurrence in text at or after from, and
// where it starts; ok is false when there is none.
func (m *matcher) find(text string, from int) (p pattern, start int, ok bool) {
	for i := from; i < len(text); i++ {
		for _, p := range m.byFirst[text[i]] {
			if strings.HasPrefix(text[i:], p.text) {
				return p, i, true
			}
		}
	}
	return pattern{}, -1, false
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
		p, start, ok := m.find(text, from)
		if !ok {
			break
		}
		tok := &a.tokens[p.tok]
		stop := start + len(p.text)
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

// isWordChar approximates \w of Rust's regex crate, which HF uses for single_word:
// letters, marks, decimal and letter numbers, connector punctuation and the joiners.
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) ||
		unicode.In(r, unicode.Nd, unicode.Nl, unicode.Pc) || r == 0x200C || r == 0x200D
}

func endsWithWordChar(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordChar(r)
}
