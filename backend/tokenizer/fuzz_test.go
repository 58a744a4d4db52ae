package tokenizer

import (
	"encoding/binary"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"golang.org/x/text/unicode/norm"
)

// Seeds shared by the text fuzzers.
var fuzzSeeds = []string{
	"x**2  # comment", "Hello  world\n\n  x", "I'M HE'LL 've", "안녕하세요, 세계!", "歪\xe6\xad",
	"<|eot_id|> <|begin_of_text|>", "12345678 ٣٤٥", "\t\t \r\n \u3000x", "👩‍👩‍👧‍👦 👍🏽", "e\u0301",
}

// FuzzPretokenize compares each hand-written scanner with a backtracking regexp
// engine (dlclark/regexp2, the one tiktoken-go uses) running the original pattern.
func FuzzPretokenize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	type ref struct {
		sc scanner
		re *regexp2.Regexp
	}
	var refs []ref
	for pattern, sc := range knownPatterns {
		refs = append(refs, ref{sc, regexp2.MustCompile(pattern, regexp2.None)})
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return // Encode replaces invalid UTF-8 before the pre-tokenizer runs
		}
		for _, r := range refs {
			var got []string
			r.sc.split(text, func(p string) { got = append(got, p) })
			want := regexpPieces(t, r.re, text)
			if !slices.Equal(got, want) {
				t.Fatalf("pattern %q on %q:\n got %q\nwant %q", r.re.String(), text, got, want)
			}
		}
	})
}

// regexpPieces splits text as HF's Split with the Isolated behavior: every match, and
// the text between matches.
func regexpPieces(t *testing.T, re *regexp2.Regexp, text string) []string {
	runes := []rune(text)
	var out []string
	last := 0
	m, err := re.FindRunesMatch(runes)
	for ; m != nil && err == nil; m, err = re.FindNextMatch(m) {
		if m.Index > last {
			out = append(out, string(runes[last:m.Index]))
		}
		out = append(out, string(runes[m.Index:m.Index+m.Length]))
		last = m.Index + m.Length
	}
	if err != nil {
		t.Fatal(err)
	}
	if last < len(runes) {
		out = append(out, string(runes[last:]))
	}
	return out
}

// FuzzRoundTrip checks decode(encode(s)) == s (after the replacement of invalid UTF-8
// and, for Qwen3, NFC) through Decode and the stream decoder.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	llama := withoutCleanUp(loadModel(f, "llama3"))
	qwen := withoutCleanUp(loadModel(f, "qwen3"))
	f.Fuzz(func(t *testing.T, text string) {
		want := validUTF8(text)
		for _, tok := range []*Tokenizer{llama, qwen} {
			w := want
			if tok.normalize != nil {
				w = norm.NFC.String(want)
			}
			ids := tok.Encode(text, false)
			if got := tok.Decode(ids, false); got != w {
				t.Fatalf("Decode(Encode(%q)) = %q", text, got)
			}
			if got := streamAll(tok, ids, false); got != w {
				t.Fatalf("stream(Encode(%q)) = %q", text, got)
			}
		}
	})
}

// FuzzDecode feeds arbitrary ids (in range or not) to Decode and the stream decoder:
// the text is always valid UTF-8, Decode is the clean-up of the raw text and the
// stream is what mlx-lm's detokenizer gives (the raw text without the clean-up).
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x2a, 0x3d, 0, 0, 0x67, 0, 0, 0}) // 15722, 103: 歪
	f.Add([]byte{0, 0xf4, 1, 0, 0xff, 0xff, 0xff, 0xff})
	tok := loadModel(f, "llama3")
	f.Fuzz(func(t *testing.T, data []byte) {
		var ids []int32
		for len(data) >= 4 {
			v := int32(binary.LittleEndian.Uint32(data))
			if v >= 0 {
				v %= int32(tok.VocabSize() + 8)
			}
			ids = append(ids, v)
			data = data[4:]
		}
		for _, skip := range []bool{false, true} {
			raw := withoutCleanUp(tok).Decode(ids, skip)
			if !utf8.ValidString(raw) {
				t.Fatalf("Decode(%v) = %q is not valid UTF-8", ids, raw)
			}
			if got, want := tok.Decode(ids, skip), cleanUpTokenization(raw); got != want {
				t.Fatalf("Decode(%v) = %q, want %q", ids, got, want)
			}
			if got, want := streamAll(tok, ids, skip), mlxStream(tok, ids, skip); got != want {
				t.Fatalf("stream(%v) = %q, mlx-lm gives %q", ids, got, want)
			}
		}
	})
}

// FuzzLoad mutates a small tokenizer.json: Load returns an error or a tokenizer, never
// panics, and the tokenizer can encode.
func FuzzLoad(f *testing.F) {
	f.Add(tinyJSON(f, []addedTokenJSON{{Content: "<s>", Special: true, LStrip: true}}, nil))
	f.Add(tinyJSON(f, nil, func(m map[string]any) {
		m["model"].(map[string]any)["merges"] = [][2]string{{"h", "e"}}
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Load(data)
		if err != nil {
			return
		}
		ids := tok.Encode("hello <s> world 안녕", true)
		_ = tok.Decode(ids, false)
	})
}
