//go:build bridge

package main

// The HTTP bridge serves the built frontend to an ordinary browser and answers its
// calls with the same App the desktop window binds, so that browser tests (tests/e2e)
// drive the real backend through the real UI code. There is no second API: a call
// POST /__bridge/call/<Method> with a JSON array of arguments is dispatched by
// reflection to App's exported method of that name, as Wails does, and an error comes
// back formatted by apperr as {code, message}. Runtime events reach the page as
// server-sent events on /__bridge/events. A shim script injected into index.html
// defines window.go.main.App and window.runtime on top of both.
//
// It listens on 127.0.0.1 only, on a random port unless -addr says otherwise, and
// prints "listening on http://127.0.0.1:PORT/" on stdout once it accepts connections.
// The XDG directories come from the environment, so that tests isolate them.

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/knobs-app/knobs/backend/apperr"
	"github.com/knobs-app/knobs/backend/applog"
)

//go:embed bridge_shim.js
var bridgeShim []byte

// bridgePrefix is the path prefix of the bridge's own endpoints.
const bridgePrefix = "/__bridge/"

func main() {
	if err := runBridge(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "knobs-bridge:", apperr.Message(err))
		os.Exit(1)
	}
}

func runBridge(args []string) error {
	fs := flag.NewFlagSet("knobs-bridge", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	dist := fs.String("dist", filepath.Join("frontend", "dist"), "the built frontend")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*dist, "index.html")); err != nil {
		return fmt.Errorf("no built frontend (run make frontend): %w", err)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address", *addr)
	}

	logger := applog.New(os.Stderr, applog.DefaultLevel)
	if l, f, err := applog.Open(); err == nil {
		logger = l
		defer f.Close()
	}
	slog.SetDefault(logger)

	app := NewApp(logger, version)
	events := newEventHub()
	app.emit = events.emit
	srv := &http.Server{Handler: newBridge(app, events, *dist), ReadHeaderTimeout: 10 * time.Second}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Printf("listening on http://%s/\n", ln.Addr())
	logger.Info("bridge listening", "addr", ln.Addr().String())
	app.startServices()

	// SIGINT and SIGTERM end the bridge as the window's quit ends the app: the event
	// streams close, then shutdown closes the lab (a running comparison ends properly).
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	select {
	case sig := <-signals:
		logger.Info("quitting on signal", "signal", sig.String())
	case err := <-served:
		return err
	}
	events.closeAll()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	app.shutdown(ctx)
	return nil
}

// bridge is the HTTP handler: the frontend's files, the shim, calls and events.
type bridge struct {
	app     *App
	methods map[string]reflect.Value
	events  *eventHub
	dist    string
	files   http.Handler
}

func newBridge(app *App, events *eventHub, dist string) *bridge {
	b := &bridge{app: app, methods: boundMethods(app), events: events, dist: dist,
		files: http.FileServer(http.Dir(dist))}
	return b
}

// boundMethods returns the exported methods of the bound structs by name, as Wails
// binds them (main.App.<Method> in the frontend).
func boundMethods(app *App) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	for _, bound := range app.bindings() {
		v := reflect.ValueOf(bound)
		for i := range v.NumMethod() {
			out[v.Type().Method(i).Name] = v.Method(i)
		}
	}
	return out
}

func (b *bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == bridgePrefix+"shim.js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(bridgeShim)
	case p == bridgePrefix+"methods":
		b.serveMethods(w)
	case p == bridgePrefix+"events":
		b.events.serve(w, r)
	case strings.HasPrefix(p, bridgePrefix+"call/"):
		b.serveCall(w, r, strings.TrimPrefix(p, bridgePrefix+"call/"))
	case p == "/" || p == "/index.html":
		b.serveIndex(w)
	default:
		b.files.ServeHTTP(w, r)
	}
}

// serveIndex serves index.html with the shim loaded before the app's own scripts.
func (b *bridge) serveIndex(w http.ResponseWriter) {
	page, err := os.ReadFile(filepath.Join(b.dist, "index.html"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	tag := `<script src="` + bridgePrefix + `shim.js"></script>`
	html := strings.Replace(string(page), "<head>", "<head>"+tag, 1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(html))
}

// serveMethods lists the bound method names, for the shim to define.
func (b *bridge) serveMethods(w http.ResponseWriter) {
	names := make([]string, 0, len(b.methods))
	for name := range b.methods {
		names = append(names, name)
	}
	writeJSON(w, http.StatusOK, names)
}

// serveCall runs one bound method. The response carries the sequence number of the
// last event emitted by then (X-Knobs-Event-Seq), so that the shim resolves the call
// only after the events the call caused have been delivered, as in the window, where
// events and results share one channel.
func (b *bridge) serveCall(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	method, ok := b.methods[name]
	if !ok {
		writeJSON(w, http.StatusNotFound, apperr.Error{Code: "no_such_method",
			Message: "There is no bound method " + name + "."})
		return
	}
	var raw []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeJSON(w, http.StatusBadRequest, apperr.Format(fmt.Errorf("arguments: %w", err)))
		return
	}
	result, err := call(method, raw)
	w.Header().Set("X-Knobs-Event-Seq", strconv.FormatUint(b.events.lastSeq(), 10))
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, apperr.Format(err))
		return
	}
	writeJSON(w, http.StatusOK, result)
}

// call decodes raw into the method's parameters, calls it and splits its results as
// Wails does: an optional value, then an optional error.
func call(method reflect.Value, raw []json.RawMessage) (result any, err error) {
	t := method.Type()
	if len(raw) != t.NumIn() {
		return nil, fmt.Errorf("want %d arguments, got %d", t.NumIn(), len(raw))
	}
	in := make([]reflect.Value, len(raw))
	for i, r := range raw {
		arg := reflect.New(t.In(i))
		if err := json.Unmarshal(r, arg.Interface()); err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		in[i] = arg.Elem()
	}

	defer func() {
		if p := recover(); p != nil {
			result, err = nil, fmt.Errorf("panic in bound method: %v", p)
		}
	}()
	out := method.Call(in)

	errType := reflect.TypeFor[error]()
	if n := len(out); n > 0 && t.Out(n-1) == errType {
		if e := out[n-1]; !e.IsNil() {
			return nil, e.Interface().(error)
		}
		out = out[:n-1]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out[0].Interface(), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(apperr.Format(fmt.Errorf("encode result: %w", err)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// errClosed ends an event stream when the bridge quits.
var errClosed = errors.New("bridge closed")
