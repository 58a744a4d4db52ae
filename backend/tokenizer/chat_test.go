package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// chatFixture is testdata/chat_templates.json, written by
// tools/tokenizer-oracle/chat_oracle.py with Python's Jinja2 and HF's settings.
type chatFixture struct {
	Oracle    string `json:"oracle"`
	Now       string `json:"now"`
	Templates map[string]struct {
		SHA256        string            `json:"sha256"`
		SpecialTokens map[string]string `json:"special_tokens"`
	} `json:"templates"`
	Cases []struct {
		Template            string         `json:"template"`
		Name                string         `json:"name"`
		Messages            []Message      `json:"messages"`
		AddGenerationPrompt bool           `json:"add_generation_prompt"`
		Vars                map[string]any `json:"vars"`
		Output              string         `json:"output"`
	} `json:"cases"`
}

// fixtureTemplates loads the templates the fixture was made from, by fixture name.
func fixtureTemplates(t *testing.T) map[string][2]string {
	llama := needData(t, "templates/meta-llama-Llama-3.2-3B-Instruct.jinja")
	data, err := os.ReadFile(llama)
	if err != nil {
		t.Fatal(err)
	}
	llama31 := needData(t, "templates/meta-llama-Llama-3.1-8B-Instruct.jinja")
	data31, err := os.ReadFile(llama31)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][2]string{
		"llama3.2": {string(data), llama},
		"llama3.1": {string(data31), llama31},
		"llama3":   configTemplate(t, "llama3/tokenizer_config.json"),
		"qwen3":    configTemplate(t, "qwen3/tokenizer_config.json"),
	}
}

// configTemplate returns the chat_template of a fetched tokenizer_config.json and its
// path.
func configTemplate(t *testing.T, rel string) [2]string {
	path := needData(t, rel)
	var cfg tokenizerConfigJSON
	if _, err := readJSON(path, &cfg); err != nil {
		t.Fatal(err)
	}
	var template string
	if err := json.Unmarshal(cfg.ChatTemplate, &template); err != nil {
		t.Fatal(err)
	}
	return [2]string{template, path}
}

// TestChatTemplateMatchesJinja2 requires byte-identical output to Jinja2.
func TestChatTemplateMatchesJinja2(t *testing.T) {
	data, err := os.ReadFile("testdata/chat_templates.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx chatFixture
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	now, err := time.Parse("2006-01-02T15:04:05", fx.Now)
	if err != nil {
		t.Fatal(err)
	}
	templates := fixtureTemplates(t)
	for name, tpl := range templates {
		if got := sha256Hex([]byte(tpl[0])); got != fx.Templates[name].SHA256 {
			t.Fatalf("%s template changed since the fixture was made (sha256 %s)", name, got)
		}
	}
	for _, c := range fx.Cases {
		t.Run(c.Template+"/"+c.Name, func(t *testing.T) {
			tpl := templates[c.Template]
			opts := ChatOptions{AddGenerationPrompt: c.AddGenerationPrompt, Now: now, Vars: c.Vars}
			got, err := renderChat(tpl[0], tpl[1], fx.Templates[c.Template].SpecialTokens, c.Messages, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.Output {
				t.Errorf("output differs from %s\n got %q\nwant %q", fx.Oracle, got, c.Output)
			}
		})
	}
}

// TestApplyChatTemplate renders through a loaded model directory and checks the
// single BOS, the system option and the stop tokens.
func TestApplyChatTemplate(t *testing.T) {
	tok := loadModel(t, "llama3_1")
	msgs := []Message{{Role: "user", Content: "안녕!"}}
	opts := ChatOptions{AddGenerationPrompt: true, System: "Be brief."}
	text, err := tok.ApplyChatTemplate(msgs, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"system<|end_header_id|>\n\nBe brief.<|eot_id|>", "안녕!", "assistant<|end_header_id|>\n\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered text lacks %q:\n%s", want, text)
		}
	}
	ids := tok.Encode(text, false)
	bos, _ := tok.TokenID("<|begin_of_text|>")
	count := 0
	for _, id := range ids {
		if id == bos {
			count++
		}
	}
	if ids[0] != bos || count != 1 {
		t.Errorf("want exactly one BOS, first: got %d BOS, ids %v", count, ids[:min(8, len(ids))])
	}
	eot, _ := tok.TokenID("<|eot_id|>")
	if stops := tok.StopTokens(); len(stops) == 0 || !contains(stops, eot) {
		t.Errorf("StopTokens() = %v, want it to hold <|eot_id|> %d", stops, eot)
	}
}

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestChatTemplateErrors covers broken and hostile templates.
func TestChatTemplateErrors(t *testing.T) {
	msgs := []Message{{Role: "user", Content: "hi"}}
	cases := []struct {
		name, source string
		wantLine     int    // 0: any
		wantText     string // in the message
	}{
		{"syntax", "line one\n{% if messages %}\n{{ messages[0].content }\n{% endif %}", 0, "chat.jinja"},
		{"unclosed block", "{% for m in messages %}\n{{ m.content }}\n", 2, "chat.jinja"},
		{"raise", "{% if true %}\n{{ raise_exception('no system role') }}\n{% endif %}", 2, "no system role"},
		{"include", "{% include 'secret.txt' %}", 0, "chat.jinja"},
		{"import", "{% import 'x.jinja' as x %}", 0, "chat.jinja"},
		{"extends", "{% extends 'base.jinja' %}", 0, "chat.jinja"},
		{"huge range", "{% for i in range(100000000) %}x{% endfor %}", 0, "range"},
		{"huge output", "{% for i in range(5000) %}{{ '" + strings.Repeat("x", 1000) + "' }}{% endfor %}", 0, "output longer"},
		{"recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", 0, "nested deeper"},
		{"silent loop", "{% set xs = range(99999) %}{% for i in xs %}{% for j in xs %}{% if false %}{% endif %}{% endfor %}{% endfor %}", 0, "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := renderChat(c.source, "chat.jinja", nil, msgs, ChatOptions{})
			if err == nil {
				t.Fatal("want an error")
			}
			var te *TemplateError
			if !errors.As(err, &te) || te.File != "chat.jinja" {
				t.Fatalf("want a *TemplateError naming chat.jinja, got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), c.wantText) {
				t.Errorf("error %q lacks %q", err, c.wantText)
			}
			if c.wantLine > 0 && te.Line != c.wantLine {
				t.Errorf("line %d, want %d (%v)", te.Line, c.wantLine, err)
			}
			t.Log(err)
		})
	}
}

// TestNoChatTemplate checks the error for a model directory without a template.
func TestNoChatTemplate(t *testing.T) {
	src := needData(t, "llama3/tokenizer.json")
	dir := t.TempDir()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.ApplyChatTemplate(nil, ChatOptions{}); !errors.Is(err, ErrNoChatTemplate) {
		t.Errorf("got %v, want ErrNoChatTemplate", err)
	}
	eot, _ := tok.TokenID("<|eot_id|>")
	if !contains(tok.StopTokens(), eot) {
		t.Errorf("default StopTokens() = %v lacks <|eot_id|>", tok.StopTokens())
	}
}

// TestStopTokensFromConfigs checks that the stop tokens are the union of
// generation_config.json's and config.json's eos_token_id (an id or a list) and
// tokenizer_config.json's eos_token (a string or {"content": ...}).
func TestStopTokensFromConfigs(t *testing.T) {
	dir := t.TempDir()
	added := []addedTokenJSON{{Content: "<eos>", Special: true}, {Content: "<eot>", Special: true}}
	files := map[string]string{
		"tokenizer.json":         string(tinyJSON(t, added, nil)),
		"tokenizer_config.json":  `{"eos_token": {"content": "<eot>", "special": true}, "bos_token": null}`,
		"generation_config.json": `{"eos_token_id": [265, 7]}`,
		"config.json":            `{"eos_token_id": 3}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tok.StopTokens(), []int32{3, 7, 265, 266}; !slices.Equal(got, want) {
		t.Errorf("StopTokens() = %v, want %v", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"eos_token_id": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("a bad eos_token_id: got %v, want an error naming config.json", err)
	}
}

// TestStrftime compares with Python's time.strftime for 2026-03-01 09:30:05, a Sunday.
func TestStrftime(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 30, 5, 0, time.UTC)
	cases := map[string]string{
		"%d %b %Y":          "01 Mar 2026",
		"%A, %B %e, %y":     "Sunday, March  1, 26",
		"%a %m/%d %H:%M:%S": "Sun 03/01 09:30:05",
		"%I %p, day %j %%":  "09 AM, day 060 %",
		"%Q stays":          "%Q stays",
	}
	for format, want := range cases {
		if got := strftime(format, now); got != want {
			t.Errorf("strftime(%q) = %q, want %q", format, got, want)
		}
	}
}
