package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// chatConfig is what tokenizer_config.json contributes: the chat template and the
// special tokens it refers to by name.
type chatConfig struct {
	template     string // "" when the model has none
	templateFile string // where template came from, for error messages
	// tokens maps bos_token, eos_token, unk_token and pad_token to their text, for the
	// ones the file sets.
	tokens map[string]string
}

// tokenizerConfigJSON holds the keys of tokenizer_config.json this package reads.
type tokenizerConfigJSON struct {
	ChatTemplate json.RawMessage `json:"chat_template"` // a string or [{name, template}]
	BOSToken     json.RawMessage `json:"bos_token"`     // a string, {"content": ...} or null
	EOSToken     json.RawMessage `json:"eos_token"`
	UNKToken     json.RawMessage `json:"unk_token"`
	PADToken     json.RawMessage `json:"pad_token"`
	// CleanUp is clean_up_tokenization_spaces; null and absent mean false.
	CleanUp bool `json:"clean_up_tokenization_spaces"`
}

// loadConfigs reads the optional tokenizer_config.json, chat_template.jinja,
// config.json and generation_config.json next to tokenizer.json.
func (t *Tokenizer) loadConfigs(dir string) error {
	t.chat = &chatConfig{tokens: map[string]string{}}
	var cfg tokenizerConfigJSON
	path := filepath.Join(dir, "tokenizer_config.json")
	found, err := readJSON(path, &cfg)
	if err != nil {
		return err
	}
	if found {
		if err := t.chat.read(&cfg, path); err != nil {
			return err
		}
	}
	t.cleanUpSpaces = cfg.CleanUp

	// Newer transformers save the template on its own and prefer that file.
	jinjaPath := filepath.Join(dir, "chat_template.jinja")
	if data, err := os.ReadFile(jinjaPath); err == nil {
		t.chat.template, t.chat.templateFile = string(data), jinjaPath
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}

	return t.loadStops(dir)
}

func (c *chatConfig) read(cfg *tokenizerConfigJSON, path string) error {
	for name, raw := range map[string]json.RawMessage{
		"bos_token": cfg.BOSToken, "eos_token": cfg.EOSToken,
		"unk_token": cfg.UNKToken, "pad_token": cfg.PADToken,
	} {
		text, err := tokenContent(raw)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, name, err)
		}
		if text != "" {
			c.tokens[name] = text
		}
	}
	if isNull(cfg.ChatTemplate) {
		return nil
	}
	c.templateFile = path
	if err := json.Unmarshal(cfg.ChatTemplate, &c.template); err == nil {
		return nil
	}
	// A list of named templates: the one named "default" is the chat template.
	var named []struct{ Name, Template string }
	if err := json.Unmarshal(cfg.ChatTemplate, &named); err != nil {
		return fmt.Errorf("%s: chat_template must be a string or a list of {name, template}: %w",
			path, err)
	}
	for _, n := range named {
		if n.Name == "default" {
			c.template = n.Template
		}
	}
	return nil
}

// tokenContent reads a special token written as a string or as {"content": ...}.
func tokenContent(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct{ Content string }
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", err
	}
	return obj.Content, nil
}

// readJSON decodes path into v; found is false when the file does not exist.
func readJSON(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("parse %s: %w", path, err)
	}
	return true, nil
}

// idList reads eos_token_id, which is a number or a list of numbers.
type idList []int32

func (l *idList) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	var one int32
	if err := json.Unmarshal(data, &one); err == nil {
		*l = idList{one}
		return nil
	}
	var many []int32
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("eos_token_id must be an id or a list of ids: %w", err)
	}
	*l = many
	return nil
}

// loadStops collects the stop tokens: eos_token_id of generation_config.json and of
// config.json (mlx-lm reads the latter), and tokenizer_config.json's eos_token.
func (t *Tokenizer) loadStops(dir string) error {
	var stops []int32
	for _, name := range []string{"generation_config.json", "config.json"} {
		var cfg struct {
			EOSTokenID idList `json:"eos_token_id"`
		}
		if _, err := readJSON(filepath.Join(dir, name), &cfg); err != nil {
			return err
		}
		stops = append(stops, cfg.EOSTokenID...)
	}
	if eos, ok := t.chat.tokens["eos_token"]; ok {
		if id, ok := t.TokenID(eos); ok {
			stops = append(stops, id)
		}
	}
	if len(stops) == 0 {
		stops = t.defaultStops()
	}
	slices.Sort(stops)
	t.stops = slices.Compact(stops)
	return nil
}

// defaultStops are the end-of-turn and end-of-text tokens of the supported families,
// used when no configuration file names any.
func (t *Tokenizer) defaultStops() []int32 {
	var stops []int32
	for _, text := range []string{"<|eot_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>"} {
		if id, ok := t.added.byContent[text]; ok {
			stops = append(stops, id)
		}
	}
	slices.Sort(stops)
	return stops
}

// StopTokens returns the ids that end generation, sorted.
func (t *Tokenizer) StopTokens() []int32 { return slices.Clone(t.stops) }
