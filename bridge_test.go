//go:build bridge

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/apperr"
	"github.com/knobs-app/knobs/backend/lab/labtest"
)

// newTestBridge serves a bridge over a fake dist directory with isolated XDG dirs.
func newTestBridge(t *testing.T) (*httptest.Server, *App) {
	t.Helper()
	dir := isolate(t)
	dist := filepath.Join(dir, "dist")
	os.MkdirAll(dist, 0o755)
	page := "<!doctype html><html><head><title>Knobs</title></head><body></body></html>"
	os.WriteFile(filepath.Join(dist, "index.html"), []byte(page), 0o644)
	os.WriteFile(filepath.Join(dist, "app.js"), []byte("//"), 0o644)

	a := newTestApp()
	hub := newEventHub()
	a.emit = hub.emit
	srv := httptest.NewServer(newBridge(a, hub, dist))
	t.Cleanup(func() {
		hub.closeAll()
		srv.Close()
		a.lab.close()
	})
	return srv, a
}

func post(t *testing.T, url string, body string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestBridgeServesPagesAndShim(t *testing.T) {
	srv, _ := newTestBridge(t)
	for path, want := range map[string]string{
		"/":                  `<head><script src="/__bridge/shim.js"></script><title>`,
		"/app.js":            "//",
		"/__bridge/shim.js":  "window.go = { main: { App: app } }",
		"/__bridge/methods":  `"Compare"`,
		"/missing-file.html": "404",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %q, want it to contain %q", path, b, want)
		}
	}
}

func TestBridgeCalls(t *testing.T) {
	srv, _ := newTestBridge(t)
	call := srv.URL + "/__bridge/call/"
	tests := []struct {
		name, method, args string
		status             int
		want               string
	}{
		{"value", "Status", `[]`, 200, `"version":"1.2.3"`},
		{"value and nil error", "Presets", `[false]`, 200, `"name":`},
		{"struct argument", "ListRuns", `[{"text":"x"}]`, 200, `[]`},
		{"coded error", "ListRuns", `[{"since":"yesterday"}]`, 422, `"code":"internal"`},
		{"too many arguments", "Status", `[1]`, 422, `Want 0 arguments, got 1`},
		{"wrong argument type", "GetRun", `["one"]`, 422, `Argument 1`},
		{"no such method", "Nope", `[]`, 404, `"code":"no_such_method"`},
		{"unexported", "startup", `[]`, 404, `no_such_method`},
		{"no JSON array", "Status", `{}`, 400, `Arguments`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, b := post(t, call+tt.method, tt.args)
			if res.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
				t.Errorf("%s %s = %d %s, want %d containing %q", tt.method, tt.args,
					res.StatusCode, b, tt.status, tt.want)
			}
			if res.StatusCode >= 400 {
				var e apperr.Error
				if err := json.Unmarshal(b, &e); err != nil || e.Code == "" || e.Message == "" {
					t.Errorf("error body %s is not {code, message}", b)
				}
			}
		})
	}
}

// TestBridgeStreamsComparisonEvents runs a comparison over HTTP and reads its events
// from the stream: all of them arrive, numbered, before the sequence number that the
// call's response announces.
func TestBridgeStreamsComparisonEvents(t *testing.T) {
	srv, a := newTestBridge(t)
	model := filepath.Join(t.TempDir(), "model")
	if err := labtest.WriteModel(model); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadModel(model); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/__bridge/events", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	lines.Buffer(nil, 1<<20)
	if !lines.Scan() || lines.Text() != "event: hello" || !lines.Scan() {
		t.Fatalf("first line %q, want the hello event", lines.Text())
	}
	var hello struct{ Seq uint64 }
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lines.Text(), "data: ")), &hello); err != nil {
		t.Fatalf("hello event data %q: %v", lines.Text(), err)
	}

	body := `[{"prompt":"hi","max_tokens":4,"inspect_k":3,
		"columns":[{"regime":{"temp":0,"top_p":1,"repetition_penalty":1,"sampler":"mlx-lm"}},
		{"regime":{"temp":1,"top_p":1,"repetition_penalty":1,"sampler":"mlx-lm"}}]}]`
	res, b := post(t, srv.URL+"/__bridge/call/Compare", body)
	if res.StatusCode != 200 {
		t.Fatalf("Compare = %d %s", res.StatusCode, b)
	}
	last, err := strconv.ParseUint(res.Header.Get("X-Knobs-Event-Seq"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}

	var kinds []string
	for seq := hello.Seq; seq < last && lines.Scan(); {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Seq  uint64            `json:"seq"`
			Name string            `json:"name"`
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if ev.Seq != seq+1 {
			t.Fatalf("event %d after %d", ev.Seq, seq)
		}
		seq = ev.Seq
		if ev.Name == EventLabRun {
			var e struct{ Kind string }
			json.Unmarshal(ev.Data[0], &e)
			kinds = append(kinds, e.Kind)
		}
	}
	got := strings.Join(kinds, " ")
	if !strings.HasPrefix(got, "start token") || !strings.HasSuffix(got, "column_end end") {
		t.Errorf("lab events = %s", got)
	}
}
