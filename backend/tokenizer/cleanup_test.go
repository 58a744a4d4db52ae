package tokenizer

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mlxStream is the test's reference for StreamDecoder: mlx-lm's BPEStreamingDetokenizer
// (mlx_lm/tokenizer_utils.py) written out plainly, without its trim of the first
// text's leading space. Token bytes gather in a chunk until the chunk's text no longer
// ends in U+FFFD and the last token is not a lone space; the chunk's leading space is
// then dropped when clean-up is on and the rest starts with a spaceMatch. Skipped and
// unknown ids are left out, as in Decode.
func mlxStream(tok *Tokenizer, ids []int32, skip bool) string {
	var text strings.Builder
	var chunk []byte
	flush := func() {
		s := validUTF8(string(chunk))
		if tok.cleanUpSpaces && strings.HasPrefix(s, " ") {
			for _, m := range []string{".", "?", "!", ",", "n't", "'m", "'s", "'ve", "'re"} {
				if strings.HasPrefix(s[1:], m) {
					s = s[1:]
					break
				}
			}
		}
		text.WriteString(s)
		chunk = chunk[:0]
	}
	for _, id := range ids {
		b := tok.idBytes(id, skip)
		if len(b) == 0 {
			continue
		}
		chunk = append(chunk, b...)
		if !strings.HasSuffix(validUTF8(string(chunk)), "\uFFFD") && string(b) != " " {
			flush()
		}
	}
	flush()
	return text.String()
}

// cleanPieces are the vocabulary entries tinyCleanTokenizer adds to tinyJSON's: the
// pieces that clean-up is about, as Llama 3's vocabulary has them.
var cleanPieces = []string{" .", " ,", " !", " ?", " '", " n", "'t", "'s", "n't", "'ve", " x"}

// tinyCleanTokenizer is tinyTokenizer with cleanPieces and one special token, <eot>,
// with clean-up on or off.
func tinyCleanTokenizer(t testing.TB, cleanUp bool) *Tokenizer {
	t.Helper()
	tok := tinyTokenizer(t, []addedTokenJSON{{Content: "<eot>", Special: true}},
		func(f map[string]any) {
			model := f["model"].(map[string]any)
			vocab := model["vocab"].(map[string]int)
			for _, p := range cleanPieces {
				vocab[byteLevelEncode(p)] = len(vocab)
			}
			// Keep the added token's id after the vocabulary.
			added := f["added_tokens"].([]addedTokenJSON)
			added[0].ID = int32(len(vocab))
		})
	tok.cleanUpSpaces = cleanUp
	return tok
}

// ids returns the ids of pieces, each a vocabulary entry in its decoded form.
func pieceIDs(t testing.TB, tok *Tokenizer, pieces ...string) []int32 {
	t.Helper()
	ids := make([]int32, len(pieces))
	for i, p := range pieces {
		id, ok := tok.TokenID(p)
		if !ok {
			t.Fatalf("no token %q", p)
		}
		ids[i] = id
	}
	return ids
}

// TestCleanUpTokenization checks the whole-text clean-up against transformers'
// clean_up_tokenization, worked out by hand.
func TestCleanUpTokenization(t *testing.T) {
	cases := map[string]string{
		"Hello , world !":         "Hello, world!",
		"Why ? Because .":         "Why? Because.",
		"a  .":                    "a .", // one pass: only the space next to "." goes
		"a . . .":                 "a...",
		"I do n't know":           "I don't know",
		"I 'm sure it 's":         "I'm sure it's",
		"we 've and they 're":     "we've and they're",
		"rock ' n roll":           "rock'n roll",
		"x ' 's":                  "x''s", // " ' " goes first, then nothing is left for " 's"
		"don 't":                  "don 't",
		"'s at the start , fine.": "'s at the start, fine.",
		" .":                      ".",
		"no change\n.":            "no change\n.",
		"tab\t.":                  "tab\t.",
		"nbsp\u00a0.":             "nbsp\u00a0.",
		"":                        "",
	}
	for in, want := range cases {
		if got := cleanUpTokenization(in); got != want {
			t.Errorf("cleanUpTokenization(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCleanUpDecode checks Decode and the stream decoder on hand-worked token
// sequences, with clean_up_tokenization_spaces on and off. Decode follows
// transformers; the stream follows mlx-lm and differs where a space and the mark after
// it arrive in different chunks.
func TestCleanUpDecode(t *testing.T) {
	on := tinyCleanTokenizer(t, true)
	off := tinyCleanTokenizer(t, false)
	cases := []struct {
		name   string
		pieces []string // vocabulary entries in decoded form
		skip   bool
		raw    string   // Decode without clean-up, and the stream
		decode string   // Decode with clean-up (transformers)
		stream []string // each Add then Flush, with clean-up (mlx-lm)
	}{
		{"space period token", []string{"hello", " ."}, false,
			"hello .", "hello.", []string{"hello", ".", ""}},
		{"comma and bang", []string{"hello", " ,", " word", " !"}, false,
			"hello , word !", "hello, word!", []string{"hello", ",", " word", "!", ""}},
		{"question first", []string{" ?"}, false,
			" ?", "?", []string{"?", ""}},
		{"lone space then period", []string{"hello", " ", "."}, false,
			"hello .", "hello.", []string{"hello", "", ".", ""}},
		{"lone space then word", []string{"hello", " ", "hello"}, false,
			"hello hello", "hello hello", []string{"hello", "", " hello", ""}},
		{"lone space at the end", []string{"hello", " "}, false,
			"hello ", "hello ", []string{"hello", "", " "}},
		{"two spaces then period", []string{"hello", " ", " ."}, false,
			"hello  .", "hello .", []string{"hello", "", "  .", ""}},
		{"n't split", []string{"hello", " n", "'t"}, false,
			"hello n't", "hellon't", []string{"hello", " n", "'t", ""}},
		{"n't whole", []string{"hello", " ", "n't"}, false,
			"hello n't", "hellon't", []string{"hello", "", "n't", ""}},
		{"'s split", []string{"hello", " '", "s"}, false,
			"hello 's", "hello's", []string{"hello", " '", "s", ""}},
		{"'ve after a lone space", []string{"hello", " ", "'ve"}, false,
			"hello 've", "hello've", []string{"hello", "", "'ve", ""}},
		{"quote between spaces", []string{"hello", " '", " n"}, false,
			"hello ' n", "hello'n", []string{"hello", " '", " n", ""}},
		{"x is not n", []string{"a", " x", "'t"}, false,
			"a x't", "a x't", []string{"a", " x", "'t", ""}},
		{"special kept between", []string{"hello", " ", "<eot>", "."}, false,
			"hello <eot>.", "hello <eot>.", []string{"hello", "", " <eot>", ".", ""}},
		{"special skipped between", []string{"hello", " ", "<eot>", "."}, true,
			"hello .", "hello.", []string{"hello", "", "", ".", ""}},
		{"split character after a space", []string{"a", " ", "\xe6", "\xad", "\xaa"}, false,
			"a 歪", "a 歪", []string{"a", "", "", "", " 歪", ""}},
		{"stray byte after a space", []string{"a", " ", "\x80", "."}, false,
			"a \uFFFD.", "a \uFFFD.", []string{"a", "", " \uFFFD", ".", ""}},
		{"truncated character then flush", []string{" ", "\xe6"}, false,
			" \uFFFD", " \uFFFD", []string{"", "", " \uFFFD"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ids []int32
			for _, p := range c.pieces {
				if len(p) == 1 && p[0] >= 0x80 {
					ids = append(ids, on.bpe.byteID[p[0]])
					continue
				}
				ids = append(ids, pieceIDs(t, on, p)...)
			}
			if got := off.Decode(ids, c.skip); got != c.raw {
				t.Errorf("Decode without clean-up = %q, want %q", got, c.raw)
			}
			if got := streamAll(off, ids, c.skip); got != c.raw {
				t.Errorf("stream without clean-up = %q, want %q", got, c.raw)
			}
			if got := on.Decode(ids, c.skip); got != c.decode {
				t.Errorf("Decode = %q, want %q", got, c.decode)
			}
			d := on.NewStreamDecoder(c.skip)
			var got []string
			for _, id := range ids {
				got = append(got, d.Add(id))
			}
			got = append(got, d.Flush())
			if !slices.Equal(got, c.stream) {
				t.Errorf("stream = %q, want %q", got, c.stream)
			}
			if s := strings.Join(got, ""); s != mlxStream(on, ids, c.skip) {
				t.Errorf("stream %q differs from the mlx-lm reference %q", s, mlxStream(on, ids, c.skip))
			}
		})
	}
}

// TestCleanUpStreamRandom compares the stream decoder with the mlx-lm reference on
// random sequences of the tokens that exercise it: spaces, marks, contraction pieces,
// the bytes of a split character and of a literal U+FFFD, a stray byte and a special
// token. Without clean-up the stream must equal Decode.
func TestCleanUpStreamRandom(t *testing.T) {
	on := tinyCleanTokenizer(t, true)
	off := tinyCleanTokenizer(t, false)
	alphabet := pieceIDs(t, on, append([]string{"hello", " hello", "<eot>"}, cleanPieces...)...)
	for _, c := range []byte(" .,!?'nstv\xe6\xad\xaa\xef\xbf\xbd\x80") {
		alphabet = append(alphabet, on.bpe.byteID[c])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		ids := make([]int32, 1+rng.IntN(10))
		for j := range ids {
			ids[j] = alphabet[rng.IntN(len(alphabet))]
		}
		skip := i%2 == 1
		if got, want := streamAll(on, ids, skip), mlxStream(on, ids, skip); got != want {
			t.Fatalf("stream %v (skip %v) = %q, mlx-lm reference gives %q", ids, skip, got, want)
		}
		if got, want := streamAll(off, ids, skip), off.Decode(ids, skip); got != want {
			t.Fatalf("stream without clean-up %v = %q, Decode gives %q", ids, got, want)
		}
	}
}

// TestCleanUpConfig checks that LoadDir reads clean_up_tokenization_spaces from
// tokenizer_config.json, with transformers' default (false) when it is absent or null.
func TestCleanUpConfig(t *testing.T) {
	data := tinyJSON(t, nil, nil)
	cases := []struct {
		config string // "" for no tokenizer_config.json
		want   bool
	}{
		{"", false},
		{`{}`, false},
		{`{"clean_up_tokenization_spaces": null}`, false},
		{`{"clean_up_tokenization_spaces": false}`, false},
		{`{"clean_up_tokenization_spaces": true}`, true},
	}
	for i, c := range cases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, text string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("tokenizer.json", string(data))
			if c.config != "" {
				write("tokenizer_config.json", c.config)
			}
			tok, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tok.cleanUpSpaces != c.want {
				t.Errorf("cleanUpSpaces = %v, want %v", tok.cleanUpSpaces, c.want)
			}
			want := "hello ."
			if c.want {
				want = "hello."
			}
			if got := tok.Decode(tok.Encode("hello .", false), false); got != want {
				t.Errorf("Decode = %q, want %q", got, want)
			}
		})
	}

	// A flag of the wrong type is an error, not a silent default.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"),
		[]byte(`{"clean_up_tokenization_spaces": "yes"}`), 0o644)
	if _, err := LoadDir(dir); err == nil {
		t.Error("LoadDir accepted clean_up_tokenization_spaces \"yes\"")
	}
}

// TestOracleCleanUp checks the flag read from each model's tokenizer_config.json and
// Decode with the clean-up against @huggingface/tokenizers' decode with
// clean_up_tokenization_spaces, on the corpus and on the decode cases (among them 300
// sequences of spaces, marks and contraction pieces). The stream is checked against
// the mlx-lm reference on the same ids.
func TestOracleCleanUp(t *testing.T) {
	texts, _ := corpusTexts(t)
	for _, name := range []string{"llama3", "llama3_1", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			tok := loadModel(t, name)
			o := readOracle(t, name)
			if tok.cleanUpSpaces != o.CleanUp {
				t.Fatalf("cleanUpSpaces = %v, the oracle read %v", tok.cleanUpSpaces, o.CleanUp)
			}
			changed := 0
			for i, text := range texts {
				key := strconv.Itoa(i)
				want, ok := o.DecodedClean[key]
				if !ok {
					if want, ok = o.Decoded[key]; !ok {
						want = validUTF8(text)
					}
				} else {
					changed++
				}
				ids := o.EncodePlain[i]
				if got := tok.Decode(ids, false); got != want {
					t.Errorf("entry %d: Decode = %q, want %q", i, clip(got), clip(want))
				}
				if got, ref := streamAll(tok, ids, false), mlxStream(tok, ids, false); got != ref {
					t.Errorf("entry %d: stream = %q, mlx-lm reference %q", i, clip(got), clip(ref))
				}
			}
			for _, c := range o.Decodes {
				want, wantSkip := c.Text, c.Skip
				if o.CleanUp {
					want, wantSkip = *c.Clean, *c.CleanSkip
				}
				if got := tok.Decode(c.IDs, false); got != want {
					t.Errorf("Decode(%v) = %q, want %q", c.IDs, got, want)
				}
				if got := tok.Decode(c.IDs, true); got != wantSkip {
					t.Errorf("Decode(%v, skip) = %q, want %q", c.IDs, got, wantSkip)
				}
				for _, skip := range []bool{false, true} {
					if got, ref := streamAll(tok, c.IDs, skip), mlxStream(tok, c.IDs, skip); got != ref {
						t.Errorf("stream %v (skip %v) = %q, mlx-lm reference %q", c.IDs, skip, got, ref)
					}
				}
			}
			// The fixture must exercise the clean-up where the model asks for it.
			if o.CleanUp && changed < 50 {
				t.Errorf("only %d corpus entries change with the clean-up, want at least 50", changed)
			}
		})
	}
}
