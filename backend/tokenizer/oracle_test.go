package tokenizer

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The fixtures in testdata/ come from tools/tokenizer-oracle: corpus.mjs writes the
// corpus, oracle.mjs runs @huggingface/tokenizers over it for each model.

type corpusFile struct {
	Seed    int `json:"seed"`
	Entries []struct {
		Text *string `json:"text"`
		B64  *string `json:"b64"`
	} `json:"entries"`
}

type oracleFile struct {
	Oracle          string            `json:"oracle"`
	Model           string            `json:"model"`
	TokenizerSHA256 string            `json:"tokenizer_sha256"`
	CorpusSHA256    string            `json:"corpus_sha256"`
	Encode          [][]int32         `json:"encode"`       // add_special_tokens true
	EncodePlain     [][]int32         `json:"encode_plain"` // add_special_tokens false
	Decoded         map[string]string `json:"decoded"`      // decode(encode_plain) where it differs from the text
	Replaced        map[string]string `json:"replaced"`     // invalid UTF-8 entries after TextDecoder
	Decodes         []struct {
		IDs  []int32 `json:"ids"`
		Text string  `json:"text"` // skip_special_tokens false
		Skip string  `json:"skip"` // skip_special_tokens true
		// Text and Skip with clean_up_tokenization_spaces, present when CleanUp is.
		Clean     *string `json:"clean"`
		CleanSkip *string `json:"clean_skip"`
	} `json:"decodes"`
	// CleanUp is the clean_up_tokenization_spaces the oracle read from
	// tokenizer_config.json; DecodedClean holds decode(encode_plain) with the clean-up
	// where it differs from the decode without.
	CleanUp      bool              `json:"clean_up_tokenization_spaces"`
	DecodedClean map[string]string `json:"decoded_clean"`
}

// withoutCleanUp returns a copy of tok that decodes without
// clean_up_tokenization_spaces, to check the raw text against the oracle.
func withoutCleanUp(tok *Tokenizer) *Tokenizer {
	raw := *tok
	raw.cleanUpSpaces = false
	return &raw
}

// corpusTexts returns the corpus entries as Go strings; invalid UTF-8 entries keep
// their raw bytes.
func corpusTexts(t testing.TB) ([]string, []byte) {
	t.Helper()
	data, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c corpusFile
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	texts := make([]string, len(c.Entries))
	for i, e := range c.Entries {
		switch {
		case e.Text != nil:
			texts[i] = *e.Text
		case e.B64 != nil:
			raw, err := base64.StdEncoding.DecodeString(*e.B64)
			if err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
			texts[i] = string(raw)
		}
	}
	return texts, data
}

func readOracle(t testing.TB, name string) *oracleFile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".oracle.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var o oracleFile
	if err := json.NewDecoder(zr).Decode(&o); err != nil {
		t.Fatal(err)
	}
	return &o
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestOracleEncode requires the ids of every corpus entry to equal those of
// @huggingface/tokenizers, with and without special tokens.
func TestOracleEncode(t *testing.T) {
	texts, corpusData := corpusTexts(t)
	if len(texts) < 2000 {
		t.Fatalf("corpus has %d entries, want at least 2000", len(texts))
	}
	for _, name := range []string{"llama3", "llama3_1", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			tok := loadModel(t, name)
			o := readOracle(t, name)
			checkHashes(t, name, o, corpusData)
			fails := 0
			for i, text := range texts {
				for _, c := range []struct {
					special bool
					want    []int32
				}{{true, o.Encode[i]}, {false, o.EncodePlain[i]}} {
					got := tok.Encode(text, c.special)
					if !slices.Equal(got, c.want) && fails < 10 {
						fails++
						t.Errorf("entry %d %q (special %v):\n got %v\nwant %v", i, clip(text), c.special, got, c.want)
					}
				}
			}
		})
	}
}

// TestOracleDecode checks Decode without the clean-up against the oracle on the corpus
// (round trip) and on random id sequences, including byte tokens that split
// characters; TestOracleCleanUp checks it with the clean-up.
func TestOracleDecode(t *testing.T) {
	texts, _ := corpusTexts(t)
	for _, name := range []string{"llama3", "llama3_1", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			tok := withoutCleanUp(loadModel(t, name))
			o := readOracle(t, name)
			for i, text := range texts {
				key := strconv.Itoa(i)
				if r, ok := o.Replaced[key]; ok {
					if got := validUTF8(text); got != r {
						t.Errorf("entry %d: validUTF8 = %q, TextDecoder gives %q", i, got, r)
					}
					text = r
				}
				want, ok := o.Decoded[key]
				if !ok {
					want = text
				}
				if got := tok.Decode(o.EncodePlain[i], false); got != want {
					t.Errorf("entry %d: Decode = %q, want %q", i, clip(got), clip(want))
				}
			}
			for _, c := range o.Decodes {
				if got := tok.Decode(c.IDs, false); got != c.Text {
					t.Errorf("Decode(%v) = %q, want %q", c.IDs, got, c.Text)
				}
				if got := tok.Decode(c.IDs, true); got != c.Skip {
					t.Errorf("Decode(%v, skip) = %q, want %q", c.IDs, got, c.Skip)
				}
				if got := streamAll(tok, c.IDs, false); got != c.Text {
					t.Errorf("stream %v = %q, want %q", c.IDs, got, c.Text)
				}
			}
		})
	}
}

// TestRoundTrip checks decode(encode(s)) == s for every valid UTF-8 corpus entry
// (NFC(s) for Qwen3, whose normalizer composes characters), through Decode and
// through the stream decoder, without the clean-up (which removes spaces on purpose).
func TestRoundTrip(t *testing.T) {
	texts, _ := corpusTexts(t)
	for _, name := range []string{"llama3", "llama3_1", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			tok := withoutCleanUp(loadModel(t, name))
			for i, text := range texts {
				if !utf8.ValidString(text) {
					continue
				}
				want := text
				if tok.normalize != nil {
					want = norm.NFC.String(text)
				}
				ids := tok.Encode(text, false)
				if got := tok.Decode(ids, false); got != want {
					t.Errorf("entry %d: Decode(Encode(s)) = %q, want %q", i, clip(got), clip(want))
				}
				if got := streamAll(tok, ids, false); got != want {
					t.Errorf("entry %d: stream = %q, want %q", i, clip(got), clip(want))
				}
			}
		})
	}
}

func checkHashes(t *testing.T, name string, o *oracleFile, corpusData []byte) {
	t.Helper()
	if got := sha256Hex(corpusData); got != o.CorpusSHA256 {
		t.Fatalf("testdata/corpus.json changed since the %s fixture was made: "+
			"rerun tools/tokenizer-oracle", name)
	}
	data, err := os.ReadFile(needData(t, filepath.Join(modelDirs[name], "tokenizer.json")))
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(data); got != o.TokenizerSHA256 {
		t.Fatalf("%s tokenizer.json sha256 %s, fixture made from %s", name, got, o.TokenizerSHA256)
	}
}

// streamAll decodes ids through a StreamDecoder, one id at a time.
func streamAll(tok *Tokenizer, ids []int32, skip bool) string {
	d := tok.NewStreamDecoder(skip)
	var out []byte
	for _, id := range ids {
		piece := d.Add(id)
		if !utf8.ValidString(piece) {
			return "invalid UTF-8 from Add: " + strconv.Quote(piece)
		}
		out = append(out, piece...)
	}
	return string(out) + d.Flush()
}

// clip shortens s for a failure message.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
