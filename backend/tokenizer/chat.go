package tokenizer

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// ChatOptions are the inputs of a chat template besides the messages.
type ChatOptions struct {
	// AddGenerationPrompt ends the text with the header of an assistant turn, so that
	// the model writes the reply.
	AddGenerationPrompt bool
	// System, when not empty, is sent as a first "system" message (unless the
	// messages already start with one).
	System string
	// Now is the time strftime_now reports (Llama 3.2's "Today Date"); zero means the
	// current time.
	Now time.Time
	// DateString, when not empty, is passed as date_string, which Llama 3.x templates
	// use instead of calling strftime_now.
	DateString string
	// Vars are extra template variables, such as Qwen3's enable_thinking.
	Vars map[string]any
}

// Limits of a template rendering. A chat template comes from a downloaded file, so
// it runs with no file or network access and within these bounds.
const (
	maxTemplateOutput = 4 << 20         // bytes of rendered text
	maxTemplateRange  = 100_000         // elements of one range()
	templateTimeout   = 2 * time.Second // wall time of one rendering
)

// TemplateError reports a chat template that does not parse or fails while
// rendering; File and Line locate it when known.
type TemplateError struct {
	File string
	Line int // 0 when unknown
	Err  error
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("chat template %s: line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("chat template %s: %v", e.File, e.Err)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// ErrorCode lets backend/apperr map the error to a stable code for the UI.
func (e *TemplateError) ErrorCode() string { return "chat_template_error" }

// ErrNoChatTemplate is returned by ApplyChatTemplate for a model without a template.
var ErrNoChatTemplate = errors.New("the model has no chat template")

// HasChatTemplate reports whether the model directory provided a chat template.
func (t *Tokenizer) HasChatTemplate() bool { return t.chat != nil && t.chat.template != "" }

// ApplyChatTemplate renders the model's chat template over msgs the way HF
// transformers' apply_chat_template(tokenize=False) does: Jinja with trim_blocks and
// lstrip_blocks, the special tokens by name, raise_exception and strftime_now. The
// result already holds the BOS token; encode it with addSpecialTokens false.
func (t *Tokenizer) ApplyChatTemplate(msgs []Message, opts ChatOptions) (string, error) {
	if !t.HasChatTemplate() {
		return "", ErrNoChatTemplate
	}
	return renderChat(t.chat.template, t.chat.templateFile, t.chat.tokens, msgs, opts)
}

// renderChat renders template (read from file) with the conversation.
func renderChat(template, file string, specialTokens map[string]string,
	msgs []Message, opts ChatOptions) (string, error) {
	if opts.System != "" && (len(msgs) == 0 || msgs[0].Role != "system") {
		msgs = append([]Message{{Role: "system", Content: opts.System}}, msgs...)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	deadline := time.Now().Add(templateTimeout)

	tpl, err := parseTemplate(template, file)
	if err != nil {
		return "", err
	}

	data := map[string]any{}
	for k, v := range opts.Vars {
		data[k] = v
	}
	for k, v := range specialTokens {
		data[k] = v
	}
	messages := make([]any, len(msgs))
	for i, m := range msgs {
		messages[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	data["messages"] = messages
	data["add_generation_prompt"] = opts.AddGenerationPrompt
	if opts.DateString != "" {
		data["date_string"] = opts.DateString
	}
	data["raise_exception"] = func(msg string) (string, error) {
		return "", fmt.Errorf("template raised: %s", msg)
	}
	data["strftime_now"] = func(format string) string { return strftime(format, now) }
	data["range"] = boundedRange(deadline)

	out := &limitedWriter{max: maxTemplateOutput, deadline: deadline}
	if err := execute(tpl, out, data); err != nil {
		return "", templateError(file, err)
	}
	return out.b.String(), nil
}

// execute runs the template, turning a panic inside the engine into an error.
func execute(tpl *exec.Template, w io.Writer, data map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("template engine panic: %v", r)
		}
	}()
	return tpl.Execute(w, exec.NewContext(data))
}

// templateConfig is HF's Jinja environment: trim_blocks and lstrip_blocks on, the
// trailing newline of the source dropped.
func templateConfig() *config.Config {
	c := config.New()
	c.TrimBlocks = true
	c.LeftStripBlocks = true
	return c
}

// sandboxStatements are the statements a chat template may use: none of them reads
// another template (include, import, from and extends are left out).
var sandboxStatements = []string{
	"autoescape", "block", "filter", "for", "if", "macro", "raw", "set", "with", "do",
	"break", "continue", "call",
}

func sandboxEnvironment() *exec.Environment {
	statements := map[string]parser.ControlStructureParser{}
	for _, name := range sandboxStatements {
		if p, ok := builtins.ControlStructures.Get(name); ok {
			statements[name] = p
		}
	}
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{}).Update(builtins.Filters)
	_ = filters.Replace("tojson", pythonToJSON)
	globals := map[string]any{}
	for _, name := range []string{"namespace", "dict", "cycler", "joiner"} {
		if v, ok := builtins.GlobalFunctions.Get(name); ok {
			globals[name] = v
		}
	}
	return &exec.Environment{
		Context:           exec.NewContext(globals),
		Filters:           filters,
		Tests:             builtins.Tests,
		ControlStructures: exec.NewControlStructureSet(statements),
		Methods:           builtins.Methods,
	}
}

// parseTemplate compiles a chat template. The loader serves only the template itself.
func parseTemplate(source, file string) (tpl *exec.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &TemplateError{File: file, Err: fmt.Errorf("template engine panic: %v", r)}
		}
	}()
	const name = "chat_template"
	tpl, err = exec.NewTemplate(name, templateConfig(), &singleLoader{name: name, source: source},
		sandboxEnvironment())
	if err != nil {
		return nil, templateError(file, err)
	}
	return tpl, nil
}

// singleLoader is a gonja loader that knows one template and refuses every other
// path, so a template cannot read files.
type singleLoader struct{ name, source string }

func (l *singleLoader) Read(path string) (io.Reader, error) {
	if path != l.name {
		return nil, fmt.Errorf("templates may not load %q", path)
	}
	return strings.NewReader(l.source), nil
}

func (l *singleLoader) Resolve(path string) (string, error) { return path, nil }

func (l *singleLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

// lineRE finds the position gonja reports in its messages ("Line: 12 Col: 3" or
// "line 12").
var lineRE = regexp.MustCompile(`(?i)line:? (\d+)`)

// templateError wraps a gonja error with the file and, when gonja names one, the line.
// gonja quotes the whole template source in parse errors; that part is dropped.
func templateError(file string, err error) error {
	var te *TemplateError
	if errors.As(err, &te) {
		return err
	}
	msg := err.Error()
	line := 0
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	return &TemplateError{File: file, Line: line, Err: errors.New(trimSource(msg))}
}

// trimSource drops gonja's "failed to parse template '<source>': " prefix.
func trimSource(msg string) string {
	const prefix = "failed to parse template '"
	if strings.HasPrefix(msg, prefix) {
		if i := strings.LastIndex(msg, "': "); i >= 0 {
			return "parse: " + msg[i+3:]
		}
	}
	return msg
}

// boundedRange is Jinja's range() with at most maxTemplateRange elements.
func boundedRange(deadline time.Time) func(args ...int) ([]int, error) {
	return func(args ...int) ([]int, error) {
		start, stop, step := 0, 0, 1
		switch len(args) {
		case 1:
			stop = args[0]
		case 2:
			start, stop = args[0], args[1]
		case 3:
			start, stop, step = args[0], args[1], args[2]
		default:
			return nil, fmt.Errorf("range takes 1 to 3 integers, got %d", len(args))
		}
		if step == 0 {
			return nil, errors.New("range step must not be 0")
		}
		var out []int
		for i := start; step > 0 && i < stop || step < 0 && i > stop; i += step {
			if len(out) == maxTemplateRange {
				return nil, fmt.Errorf("range longer than %d elements", maxTemplateRange)
			}
			out = append(out, i)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("rendering took longer than %v", templateTimeout)
		}
		return out, nil
	}
}

// limitedWriter collects the output and stops a rendering that writes too much or
// runs past its deadline.
type limitedWriter struct {
	b        strings.Builder
	max      int
	deadline time.Time
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.max {
		return 0, fmt.Errorf("output longer than %d bytes", w.max)
	}
	if time.Now().After(w.deadline) {
		return 0, fmt.Errorf("rendering took longer than %v", templateTimeout)
	}
	return w.b.Write(p)
}
