package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/text/unicode/norm"
)

// fileJSON mirrors the parts of tokenizer.json that encoding and decoding depend on.
// The keys are those of Hugging Face tokenizers' serialization.
type fileJSON struct {
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         modelJSON        `json:"-"` // read by parseFile
}

type addedTokenJSON struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type modelJSON struct {
	Type                    string   `json:"type"`
	IgnoreMerges            bool     `json:"ignore_merges"`
	Dropout                 *float64 `json:"dropout"`
	ContinuingSubwordPrefix *string  `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string  `json:"end_of_word_suffix"`
	ByteFallback            bool     `json:"byte_fallback"`

	// The large members, located by parseFile and decoded by newBPE.
	src    []byte       // the file that the spans index
	vocab  []vocabEntry // model.vocab in file order
	merges []span       // each element of model.merges: "a b" or ["a", "b"]
}

// span is a byte range of tokenizer.json.
type span struct{ start, end int32 }

// vocabEntry is one member of model.vocab: the key's text between its quotes, whether
// it holds escapes, and the id.
type vocabEntry struct {
	key     span
	escaped bool
	id      int32
}

// componentJSON holds the fields of every normalizer, pre-tokenizer, post-processor
// and decoder this package supports; Type says which of them apply.
type componentJSON struct {
	Type string `json:"type"`

	// Sequence members, one list per component kind.
	Normalizers   []json.RawMessage `json:"normalizers"`
	Pretokenizers []json.RawMessage `json:"pretokenizers"`
	Processors    []json.RawMessage `json:"processors"`
	Decoders      []json.RawMessage `json:"decoders"`

	// Split
	Pattern  struct{ Regex, String *string } `json:"pattern"`
	Behavior string                          `json:"behavior"`
	Invert   bool                            `json:"invert"`

	// ByteLevel
	AddPrefixSpace bool  `json:"add_prefix_space"`
	UseRegex       *bool `json:"use_regex"` // absent means true

	// Digits
	IndividualDigits bool `json:"individual_digits"`

	// TemplateProcessing
	Single        []templatePieceJSON `json:"single"`
	SpecialTokens map[string]struct {
		IDs []int32 `json:"ids"`
	} `json:"special_tokens"`
}

type templatePieceJSON struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

// parseFile reads tokenizer.json in one pass: encoding/json decodes everything but
// model.vocab and model.merges, whose positions are recorded for newBPE.
func parseFile(data []byte) (*fileJSON, error) {
	if len(data) >= 1<<31 {
		return nil, fmt.Errorf("tokenizer.json is %d bytes, more than 2 GiB", len(data))
	}
	var f fileJSON
	rest := []byte{'{'}
	end, err := scanObject(data, skipSpace(data, 0), func(key span, _ bool, v int) (int, error) {
		lit := data[key.start:key.end]
		if string(lit) == `"model"` {
			return parseModel(data, v, &f.Model)
		}
		end, err := skipValue(data, v)
		if err != nil {
			return 0, err
		}
		rest = appendMember(rest, lit, data[v:end])
		return end, nil
	})
	if err == nil && skipSpace(data, end) != len(data) {
		err = fmt.Errorf("%w: data after the top-level object at byte %d", errJSON, end)
	}
	if err == nil {
		err = json.Unmarshal(append(rest, '}'), &f)
	}
	if err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	if f.Model.src == nil {
		return nil, errors.New("tokenizer.json has no model")
	}
	return &f, nil
}

// parseModel reads the "model" object at data[i] and returns the index past it.
func parseModel(data []byte, i int, m *modelJSON) (int, error) {
	m.src = data
	// Room for the largest vocabulary and merges the file could hold (a vocabulary
	// entry takes at least 12 bytes of JSON with its id, a merge 8), so that the
	// slices never grow by copying; untouched capacity costs no memory.
	m.vocab = make([]vocabEntry, 0, len(data)/12)
	m.merges = make([]span, 0, len(data)/8)
	rest := []byte{'{'}
	end, err := scanObject(data, i, func(key span, _ bool, v int) (int, error) {
		lit := data[key.start:key.end]
		switch string(lit) {
		case `"vocab"`:
			return scanVocab(data, v, m)
		case `"merges"`:
			return scanMerges(data, v, m)
		}
		end, err := skipValue(data, v)
		if err != nil {
			return 0, err
		}
		rest = appendMember(rest, lit, data[v:end])
		return end, nil
	})
	if err == nil {
		err = json.Unmarshal(append(rest, '}'), m)
	}
	if err != nil {
		return 0, fmt.Errorf("model: %w", err)
	}
	return end, nil
}

// scanVocab records the members of model.vocab, the object at data[i].
func scanVocab(data []byte, i int, m *modelJSON) (int, error) {
	return scanObject(data, i, func(key span, escaped bool, v int) (int, error) {
		end, err := skipValue(data, v)
		if err != nil {
			return 0, err
		}
		id, err := intValue(data[v:end])
		if err != nil {
			return 0, fmt.Errorf("vocab %s: %w", data[key.start:key.end], err)
		}
		inner := span{key.start + 1, key.end - 1} // without the quotes
		m.vocab = append(m.vocab, vocabEntry{inner, escaped, id})
		return end, nil
	})
}

// scanMerges records where each element of model.merges, the array at data[i], is.
func scanMerges(data []byte, i int, m *modelJSON) (int, error) {
	if string(data[i:min(i+4, len(data))]) == "null" {
		return i + 4, nil
	}
	return scanArray(data, i, func(v int) (int, error) {
		end, err := skipValue(data, v)
		if err != nil {
			return 0, err
		}
		m.merges = append(m.merges, span{int32(v), int32(end)})
		return end, nil
	})
}

// isNull reports whether a raw JSON value is absent or null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func parseComponent(raw json.RawMessage, kind string) (*componentJSON, error) {
	var c componentJSON
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("parse %s: %w", kind, err)
	}
	return &c, nil
}

// build turns the parsed file into a tokenizer, rejecting what it cannot reproduce.
func build(f *fileJSON) (*Tokenizer, error) {
	t := &Tokenizer{}
	var err error
	if t.bpe, err = newBPE(&f.Model); err != nil {
		return nil, err
	}
	if t.normalize, err = buildNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	byteLevel := false
	if t.preSplit, byteLevel, err = buildPreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if !byteLevel {
		return nil, unsupported("pre_tokenizer", "without ByteLevel (only byte-level BPE is supported)")
	}
	if t.preSplit == nil {
		t.preSplit = wholeText
	}
	if err := checkDecoder(f.Decoder); err != nil {
		return nil, err
	}
	if t.post, err = buildPostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	if t.added, err = newAddedVocab(f.AddedTokens, t.normalize); err != nil {
		return nil, err
	}
	t.buildTokenTable(f.AddedTokens)
	return t, nil
}

func buildNormalizer(raw json.RawMessage) (func(string) string, error) {
	if isNull(raw) {
		return nil, nil
	}
	c, err := parseComponent(raw, "normalizer")
	if err != nil {
		return nil, err
	}
	switch c.Type {
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Sequence":
		var steps []func(string) string
		for _, m := range c.Normalizers {
			step, err := buildNormalizer(m)
			if err != nil {
				return nil, err
			}
			if step != nil {
				steps = append(steps, step)
			}
		}
		return func(s string) string {
			for _, step := range steps {
				s = step(s)
			}
			return s
		}, nil
	}
	return nil, unsupported("normalizer", c.Type)
}

// buildPreTokenizer returns the splitter and whether a ByteLevel step is present.
func buildPreTokenizer(raw json.RawMessage) (splitter, bool, error) {
	if isNull(raw) {
		return wholeText, false, nil
	}
	c, err := parseComponent(raw, "pre_tokenizer")
	if err != nil {
		return nil, false, err
	}
	switch c.Type {
	case "Sequence":
		var s splitter // nil until a step does something
		byteLevel := false
		for _, m := range c.Pretokenizers {
			step, bl, err := buildPreTokenizer(m)
			if err != nil {
				return nil, false, err
			}
			s, byteLevel = chain(s, step), byteLevel || bl
		}
		if s == nil {
			s = wholeText
		}
		return s, byteLevel, nil
	case "Split":
		s, err := buildSplit(c)
		return s, false, err
	case "ByteLevel":
		return byteLevelSplitter(c.AddPrefixSpace, c.UseRegex == nil || *c.UseRegex), true, nil
	case "Digits":
		return digitsSplitter(c.IndividualDigits), false, nil
	}
	return nil, false, unsupported("pre_tokenizer", c.Type)
}

func buildSplit(c *componentJSON) (splitter, error) {
	if c.Pattern.Regex == nil {
		return nil, unsupported("pre_tokenizer.Split pattern", "String")
	}
	if c.Behavior != "Isolated" || c.Invert {
		return nil, unsupported("pre_tokenizer.Split behavior",
			fmt.Sprintf("%s (invert %v)", c.Behavior, c.Invert))
	}
	sc, ok := knownPatterns[*c.Pattern.Regex]
	if !ok {
		return nil, unsupported("pre_tokenizer.Split pattern", *c.Pattern.Regex)
	}
	return sc.split, nil
}

func checkDecoder(raw json.RawMessage) error {
	if isNull(raw) {
		return unsupported("decoder", "null")
	}
	c, err := parseComponent(raw, "decoder")
	if err != nil {
		return err
	}
	switch c.Type {
	case "ByteLevel":
		return nil
	case "Sequence":
		if len(c.Decoders) == 1 {
			return checkDecoder(c.Decoders[0])
		}
		return unsupported("decoder", "Sequence of "+fmt.Sprint(len(c.Decoders)))
	}
	return unsupported("decoder", c.Type)
}

// postProcessor holds what add_special_tokens adds around the encoded text.
type postProcessor struct {
	prefix, suffix []int32
}

func buildPostProcessor(raw json.RawMessage) (postProcessor, error) {
	if isNull(raw) {
		return postProcessor{}, nil
	}
	c, err := parseComponent(raw, "post_processor")
	if err != nil {
		return postProcessor{}, err
	}
	switch c.Type {
	case "ByteLevel":
		// Only adjusts offsets, which this package does not report.
		return postProcessor{}, nil
	case "TemplateProcessing":
		return templateProcessor(c)
	case "Sequence":
		var p postProcessor
		for _, m := range c.Processors {
			step, err := buildPostProcessor(m)
			if err != nil {
				return postProcessor{}, err
			}
			// Each step wraps the result of the previous ones.
			p.prefix = append(append([]int32{}, step.prefix...), p.prefix...)
			p.suffix = append(p.suffix, step.suffix...)
		}
		return p, nil
	}
	return postProcessor{}, unsupported("post_processor", c.Type)
}

// templateProcessor reads the "single" template: special tokens before and after the
// sequence "A".
func templateProcessor(c *componentJSON) (postProcessor, error) {
	var p postProcessor
	seen := false
	for _, piece := range c.Single {
		switch {
		case piece.Sequence != nil:
			if seen || piece.Sequence.ID != "A" {
				return p, unsupported("post_processor.TemplateProcessing single", "sequence "+piece.Sequence.ID)
			}
			seen = true
		case piece.SpecialToken != nil:
			tok, ok := c.SpecialTokens[piece.SpecialToken.ID]
			if !ok {
				return p, fmt.Errorf("post_processor: special token %q missing from special_tokens",
					piece.SpecialToken.ID)
			}
			if seen {
				p.suffix = append(p.suffix, tok.IDs...)
			} else {
				p.prefix = append(p.prefix, tok.IDs...)
			}
		}
	}
	if !seen {
		return p, unsupported("post_processor.TemplateProcessing single", "without sequence A")
	}
	return p, nil
}

// buildTokenTable fills tokenBytes and special for every id.
func (t *Tokenizer) buildTokenTable(added []addedTokenJSON) {
	size := len(t.bpe.idBytes)
	for _, a := range added {
		size = max(size, int(a.ID)+1)
	}
	t.vocabSize = size
	t.tokenBytes = make([][]byte, size)
	copy(t.tokenBytes, t.bpe.idBytes)
	t.special = make([]bool, size)
	for _, a := range added { // ids checked by newAddedVocab
		// HF decodes an added token through the same ByteLevel decoder as the others.
		t.tokenBytes[a.ID] = byteLevelDecode(a.Content)
		t.special[a.ID] = a.Special
	}
}
