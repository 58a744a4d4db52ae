package tokenizer

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// tinyJSON returns a small byte-level BPE tokenizer.json: the 256 byte tokens (id =
// byte), a few merges spelling "hello" and " hello", and the added tokens given. edit
// may change the parsed file before it is serialized.
func tinyJSON(t testing.TB, added []addedTokenJSON, edit func(f map[string]any)) []byte {
	t.Helper()
	vocab := map[string]int{}
	for b := 0; b < 256; b++ {
		vocab[string(byteChar[b])] = b
	}
	merges := []string{"h e", "l l", "he ll", "hell o", "Ġ hello", "Ġ w", "o r", "Ġw or", "Ġwor d"}
	for _, m := range merges {
		l, r, _ := strings.Cut(m, " ")
		vocab[l+r] = len(vocab)
	}
	for i := range added {
		added[i].ID = int32(len(vocab) + i)
	}
	f := map[string]any{
		"version":      "1.0",
		"added_tokens": added,
		"normalizer":   nil,
		"pre_tokenizer": map[string]any{
			"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": llama3Regex},
					"behavior": "Isolated", "invert": false},
				map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false},
			},
		},
		"post_processor": map[string]any{"type": "ByteLevel"},
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model": map[string]any{
			"type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": false,
		},
	}
	if edit != nil {
		edit(f)
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func tinyTokenizer(t testing.TB, added []addedTokenJSON, edit func(f map[string]any)) *Tokenizer {
	t.Helper()
	tok, err := Load(tinyJSON(t, added, edit))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// pieces returns the decoded text of each id, to compare encodings readably.
func pieces(tok *Tokenizer, ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tok.TokenText(id)
	}
	return out
}

func TestAddedTokenOptions(t *testing.T) {
	added := []addedTokenJSON{
		{Content: "<mask>", LStrip: true, Special: true},
		{Content: "<r>", RStrip: true, Special: true},
		{Content: "word", SingleWord: true},
		{Content: "<s>", Special: true},
		{Content: "<s>x", Special: true}, // longer match wins at the same position
	}
	tok := tinyTokenizer(t, added, nil)
	cases := []struct {
		name, text string
		want       []string
	}{
		{"lstrip takes the spaces before", "hello  \t<mask> hello", []string{"hello", "<mask>", " hello"}},
		{"rstrip takes the spaces after", "<r> \n hello", []string{"<r>", "hello"}},
		{"single word alone", "a word b", []string{"a", " ", "word", " ", "b"}},
		{"single word inside a word", "swordfish", []string{"s", "w", "or", "d", "f", "i", "s", "h"}},
		{"single word after underscore", "_word", []string{"_", "w", "or", "d"}},
		{"longest match", "<s>x<s>", []string{"<s>x", "<s>"}},
		{"special text in prose", "hello<s> hello", []string{"hello", "<s>", " hello"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := pieces(tok, tok.Encode(c.text, false))
			if !slices.Equal(got, c.want) {
				t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestPostProcessorAndSpecialTokens(t *testing.T) {
	added := []addedTokenJSON{{Content: "<bos>", Special: true}, {Content: "<eos>", Special: true}}
	tok := tinyTokenizer(t, added, func(f map[string]any) {
		f["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{
			map[string]any{"type": "ByteLevel"},
			map[string]any{
				"type": "TemplateProcessing",
				"single": []any{
					map[string]any{"SpecialToken": map[string]any{"id": "<bos>", "type_id": 0}},
					map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
					map[string]any{"SpecialToken": map[string]any{"id": "<eos>", "type_id": 0}},
				},
				"special_tokens": map[string]any{
					"<bos>": map[string]any{"id": "<bos>", "ids": []int{265}, "tokens": []string{"<bos>"}},
					"<eos>": map[string]any{"id": "<eos>", "ids": []int{266}, "tokens": []string{"<eos>"}},
				},
			},
		}}
	})
	got := pieces(tok, tok.Encode("hello", true))
	if want := []string{"<bos>", "hello", "<eos>"}; !slices.Equal(got, want) {
		t.Errorf("with special tokens: %q, want %q", got, want)
	}
	got = pieces(tok, tok.Encode("hello", false))
	if want := []string{"hello"}; !slices.Equal(got, want) {
		t.Errorf("without special tokens: %q, want %q", got, want)
	}
	ids := tok.Encode("hello", true)
	if got := tok.Decode(ids, true); got != "hello" {
		t.Errorf("Decode(skip special) = %q, want %q", got, "hello")
	}
	if got := tok.Decode(ids, false); got != "<bos>hello<eos>" {
		t.Errorf("Decode = %q", got)
	}
}

func TestPreTokenizerVariants(t *testing.T) {
	gpt2 := func(prefix bool) func(f map[string]any) {
		return func(f map[string]any) {
			f["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": prefix, "use_regex": true}
		}
	}
	digits := func(f map[string]any) {
		f["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Digits", "individual_digits": true},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
		}}
	}
	nfc := func(f map[string]any) { f["normalizer"] = map[string]any{"type": "NFC"} }
	cases := []struct {
		name string
		edit func(f map[string]any)
		text string
		want []string
	}{
		{"gpt2 pattern", gpt2(false), "hello  world", []string{"hello", " ", " wor", "l", "d"}},
		{"gpt2 prefix space", gpt2(true), "hello", []string{" hello"}},
		{"digits", digits, "ab123", []string{"a", "b", "1", "2", "3"}},
		{"nfc", nfc, "e\u0301", []string{"<0xC3>", "<0xA9>"}}, // é, composed
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := tinyTokenizer(t, nil, c.edit)
			got := pieces(tok, tok.Encode(c.text, false))
			if !slices.Equal(got, c.want) {
				t.Errorf("Encode(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

// TestUnsupported checks that a file outside the supported set fails with an error
// naming the component, instead of tokenizing differently.
func TestUnsupported(t *testing.T) {
	cases := []struct {
		name string
		edit func(f map[string]any)
		want string
	}{
		{"normalizer", func(f map[string]any) { f["normalizer"] = map[string]any{"type": "Lowercase"} }, "Lowercase"},
		{"pre-tokenizer", func(f map[string]any) { f["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }, "Metaspace"},
		{"split pattern", func(f map[string]any) {
			f["pre_tokenizer"] = map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\w+`},
				"behavior": "Isolated"}
		}, `\\w+`},
		{"model", func(f map[string]any) { f["model"].(map[string]any)["type"] = "Unigram" }, "Unigram"},
		{"byte fallback", func(f map[string]any) { f["model"].(map[string]any)["byte_fallback"] = true }, "byte_fallback"},
		{"decoder", func(f map[string]any) { f["decoder"] = map[string]any{"type": "WordPiece"} }, "WordPiece"},
		{"post-processor", func(f map[string]any) { f["post_processor"] = map[string]any{"type": "BertProcessing"} }, "BertProcessing"},
		{"no byte level", func(f map[string]any) { f["pre_tokenizer"] = nil }, "ByteLevel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(tinyJSON(t, nil, c.edit))
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("got %v, want ErrUnsupported", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not name %q", err, c.want)
			}
		})
	}
}

func TestMalformedFiles(t *testing.T) {
	good := string(tinyJSON(t, nil, nil))
	cases := map[string]string{
		"empty":         "",
		"not an object": "[]",
		"truncated":     good[:len(good)/2],
		"no model":      `{"added_tokens": []}`,
		"merge not in vocab": string(tinyJSON(t, nil, func(f map[string]any) {
			f["model"].(map[string]any)["merges"] = []string{"x y"}
		})),
		"bad id": strings.Replace(good, `"Ā":0`, `"Ā":"zero"`, 1),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load([]byte(data)); err == nil {
				t.Error("want an error")
			}
		})
	}
}

// TestDauletDecodeCases are the 歪 cases of daulet/tokenizers: 歪 is E6 AD AA, and
// Llama 3 token 15722 holds its first two bytes, token 103 the third.
func TestDauletDecodeCases(t *testing.T) {
	tok := loadModel(t, "llama3")
	if got := tok.Decode([]int32{15722}, false); got != "\uFFFD" {
		t.Errorf("Decode([15722]) = %q, want U+FFFD", got)
	}
	if got := tok.Decode([]int32{15722, 103}, false); got != "歪" {
		t.Errorf("Decode([15722, 103]) = %q, want 歪", got)
	}
	d := tok.NewStreamDecoder(false)
	if got := d.Add(15722); got != "" {
		t.Errorf("stream Add(15722) = %q, want it held back", got)
	}
	if got := d.Add(103); got != "歪" {
		t.Errorf("stream Add(103) = %q, want 歪", got)
	}
	if got := tok.TokenText(15722); got != "<0xE6><0xAD>" {
		t.Errorf("TokenText(15722) = %q", got)
	}
}

func TestStreamDecoder(t *testing.T) {
	tok := loadModel(t, "llama3")
	byteID := func(b byte) int32 { return tok.bpe.byteID[b] }
	eot, _ := tok.TokenID("<|eot_id|>")
	han := []byte("한") // ED 95 9C
	cases := []struct {
		name string
		ids  []int32
		skip bool
		want []string // output of each Add, then of Flush
	}{
		{"hangul byte by byte", []int32{byteID(han[0]), byteID(han[1]), byteID(han[2])}, false,
			[]string{"", "", "한", ""}},
		{"stray continuation", []int32{byteID(0x95), byteID('a')}, false, []string{"\uFFFD", "a", ""}},
		{"truncated then ascii", []int32{byteID(han[0]), byteID(han[1]), byteID('a')}, false,
			[]string{"", "", "\uFFFDa", ""}},
		{"truncated at the end", []int32{byteID(han[0]), byteID(han[1])}, false, []string{"", "", "\uFFFD"}},
		{"special kept", []int32{byteID('a'), eot}, false, []string{"a", "<|eot_id|>", ""}},
		{"special skipped", []int32{byteID('a'), eot}, true, []string{"a", "", ""}},
		{"unknown id", []int32{-1, 1 << 30}, false, []string{"", "", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := tok.NewStreamDecoder(c.skip)
			var got []string
			for _, id := range c.ids {
				got = append(got, d.Add(id))
			}
			got = append(got, d.Flush())
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if joined := strings.Join(got, ""); joined != tok.Decode(c.ids, c.skip) {
				t.Errorf("stream %q differs from Decode %q", joined, tok.Decode(c.ids, c.skip))
			}
		})
	}
}

func TestValidUTF8(t *testing.T) {
	cases := map[string]string{
		"abc":                  "abc",
		"\xe6\xad":             "\uFFFD", // one maximal subpart
		"\xe6\xad\xe6\xad\xaa": "\uFFFD歪",
		"\xc0\xaf":             "\uFFFD\uFFFD",       // C0 never starts a sequence
		"\xed\xa0\x80":         "\uFFFD\uFFFD\uFFFD", // surrogate: ED may not take A0
		"\xf0\x9f\x98":         "\uFFFD",
		"\xf4\x90\x80\x80":     "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xe2\x28\xa1":         "\uFFFD(\uFFFD",
		"a\xffb":               "a\uFFFDb",
	}
	for in, want := range cases {
		if got := validUTF8(in); got != want {
			t.Errorf("validUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenText(t *testing.T) {
	tok := loadModel(t, "llama3")
	ids := tok.Encode("Hello 안녕", false)
	var b strings.Builder
	for _, id := range ids {
		text := tok.TokenText(id)
		if !utf8.ValidString(text) {
			t.Errorf("TokenText(%d) = %q is not valid UTF-8", id, text)
		}
		b.WriteString(text)
	}
	if got := tok.TokenText(-5); got != "" {
		t.Errorf("TokenText(-5) = %q, want empty", got)
	}
	if tok.VocabSize() != 128256 {
		t.Errorf("VocabSize() = %d, want 128256", tok.VocabSize())
	}
	if id, ok := tok.TokenID("<|begin_of_text|>"); !ok || id != 128000 || !tok.IsSpecial(id) {
		t.Errorf("TokenID(<|begin_of_text|>) = %d %v, special %v", id, ok, tok.IsSpecial(id))
	}
}

// TestConcurrentEncode runs Encode from several goroutines (run with -race).
func TestConcurrentEncode(t *testing.T) {
	tok := tinyTokenizer(t, nil, nil)
	want := tok.Encode("hello world hello", false)
	done := make(chan []int32)
	for range 4 {
		go func() {
			var ids []int32
			for range 200 {
				ids = tok.Encode("hello world hello", false)
			}
			done <- ids
		}()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}
