package tokenizer

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controlStructures "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
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
	maxMacroDepth     = 200             // nested macro calls (recursion would exhaust the stack)
	templateTimeout   = 2 * time.Second // wall time of one rendering
)

// TemplateError reports a chat template that does not parse or fails while
// rendering; File and Line locate it when known.
type TemplateError struct {
	File string
	Line int // 0 when unknown
	Err  error
}

// Error locates the failure: file, line when known, and the engine's message.
func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("chat template %s: line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("chat template %s: %v", e.File, e.Err)
}

// Unwrap returns the underlying error.
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
	deadline := time.Now().Add(templateTimeout)
	tpl, err := parseTemplate(template, file)
	if err != nil {
		return "", err
	}

	data := chatContext(specialTokens, msgs, opts)
	data["range"] = boundedRange(deadline)
	data[guardKey] = &renderGuard{deadline: deadline}
	out := &limitedWriter{max: maxTemplateOutput, deadline: deadline}
	if err := execute(tpl, out, data); err != nil {
		return "", templateError(file, err)
	}
	return out.b.String(), nil
}

// chatContext returns the variables HF's apply_chat_template passes to a template.
func chatContext(specialTokens map[string]string, msgs []Message, opts ChatOptions) map[string]any {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
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
	return data
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
			statements[name] = guardedParser(p)
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

// lineRE finds the positions gonja reports in its messages ("Line: 12 Col: 3",
// "at line 12", "Line=12").
var lineRE = regexp.MustCompile(`(?i)line[:=]? ?(\d+)`)

// templateError wraps a gonja error with the file and, when gonja names one, the line.
// gonja quotes the whole template source in parse errors; that part is dropped.
//
// TODO(#4): gonja reports some syntax errors (an unexpected delimiter found by its
// lexer) as "Line: 0"; such errors name the file but no line.
func templateError(file string, err error) error {
	var te *TemplateError
	if errors.As(err, &te) {
		return err
	}
	msg := err.Error()
	// gonja nests messages from the outer statement inwards; the last line number is
	// the innermost, the one that failed.
	line := 0
	for _, m := range lineRE.FindAllStringSubmatch(msg, -1) {
		if n, _ := strconv.Atoi(m[1]); n > 0 {
			line = n
		}
	}
	return &TemplateError{File: file, Line: line, Err: errors.New(innermost(trimSource(msg)))}
}

// innermost shortens gonja's chain of nested messages to its end, where the cause is.
func innermost(msg string) string {
	const keep = 240
	if len(msg) <= keep {
		return msg
	}
	cut := len(msg) - keep
	for cut < len(msg) && !utf8.RuneStart(msg[cut]) {
		cut++
	}
	return "…" + msg[cut:]
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

// renderGuard bounds one rendering: every statement checks the deadline (so a loop
// that writes nothing still stops) and macro calls count their nesting.
type renderGuard struct {
	deadline time.Time
	depth    int
}

// guardKey holds the *renderGuard in the template context; it is not a valid Jinja
// identifier, so templates cannot reach it.
const guardKey = "\x00guard"

func guardOf(r *exec.Renderer) *renderGuard {
	v, _ := r.Environment.Context.Get(guardKey)
	g, _ := v.(*renderGuard)
	return g
}

// guardedStatement wraps a statement of the template with the checks of renderGuard.
type guardedStatement struct {
	exec.ControlStructure
	macro string // the name a {% macro %} statement defines, else ""
}

// guardedParser makes parse return statements wrapped in guardedStatement.
func guardedParser(parse parser.ControlStructureParser) parser.ControlStructureParser {
	return func(p, args *parser.Parser) (nodes.ControlStructure, error) {
		cs, err := parse(p, args)
		if err != nil {
			return cs, err
		}
		ecs, ok := cs.(exec.ControlStructure)
		if !ok {
			return cs, nil
		}
		g := &guardedStatement{ControlStructure: ecs}
		if m, ok := cs.(*controlStructures.MacroControlStructure); ok {
			g.macro = m.Name
		}
		return g, nil
	}
}

func (g *guardedStatement) Execute(r *exec.Renderer, tag *nodes.ControlStructureBlock) error {
	guard := guardOf(r)
	if guard != nil && time.Now().After(guard.deadline) {
		return fmt.Errorf("rendering took longer than %v", templateTimeout)
	}
	if err := g.ControlStructure.Execute(r, tag); err != nil || g.macro == "" || guard == nil {
		return err
	}
	// Count the calls of the macro just defined.
	v, _ := r.Environment.Context.Get(g.macro)
	macro, ok := v.(exec.Macro)
	if !ok {
		return nil
	}
	r.Environment.Context.Set(g.macro, exec.Macro(func(params *exec.VarArgs) *exec.Value {
		if guard.depth >= maxMacroDepth {
			return exec.AsValue(fmt.Errorf("macro calls nested deeper than %d", maxMacroDepth))
		}
		guard.depth++
		defer func() { guard.depth-- }()
		return macro(params)
	}))
	return nil
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
