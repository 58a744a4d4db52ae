package lab

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/knobs-app/knobs/backend/sampling"
	"github.com/knobs-app/knobs/backend/store"
)

func codeOf(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return ""
}

func TestBadRequests(t *testing.T) {
	l, st := newLab(t, testModel(t))
	ok := fiveRegimes(4)[:1]
	with := func(edit func(p *sampling.Params)) []ColumnSpec {
		c := fiveRegimes(4)[1]
		edit(&c.Regime.Params)
		return []ColumnSpec{c}
	}
	cases := []struct {
		name string
		req  Request
		code string
		says string
	}{
		{"empty prompt", Request{Prompt: "  \n", Columns: ok}, CodeEmptyPrompt, "empty"},
		{"prompt longer than the context", Request{Prompt: strings.Repeat("a", 600), Columns: ok},
			CodePromptTooLong, "601 tokens"},
		{"no regimes", Request{Prompt: "x"}, CodeBadRequest, "1 to 8"},
		{"nine regimes", Request{Prompt: "x", Columns: append(fiveRegimes(4), fiveRegimes(4)[:4]...)},
			CodeBadRequest, "got 9"},
		{"system prompt without chat", Request{Prompt: "x", System: "s", Columns: ok}, CodeBadRequest, "chat"},
		{"negative temperature", Request{Prompt: "x", Columns: with(func(p *sampling.Params) { p.Temperature = -1 })},
			CodeInvalidKnob, "temp"},
		{"top_p above 1", Request{Prompt: "x", Columns: with(func(p *sampling.Params) { p.TopP = 1.5 })},
			CodeInvalidKnob, "top_p"},
		{"negative top_k", Request{Prompt: "x", Columns: with(func(p *sampling.Params) { p.TopK = -3 })},
			CodeInvalidKnob, "top_k"},
		{"min_p of 1", Request{Prompt: "x", Columns: with(func(p *sampling.Params) { p.MinP = 1 })},
			CodeInvalidKnob, "min_p"},
		{"negative repetition penalty", Request{Prompt: "x", Columns: with(func(p *sampling.Params) { p.RepetitionPenalty = -1 })},
			CodeInvalidKnob, "repetition_penalty"},
		{"unknown sampler", Request{Prompt: "x", Columns: with(func(p *sampling.Params) { p.Sampler = "vllm" })},
			CodeInvalidKnob, "sampler"},
		{"max_tokens too large", Request{Prompt: "x", MaxTokens: 1 << 20, Columns: []ColumnSpec{{}}},
			CodeInvalidKnob, "max_tokens"},
		{"inspect_k too large", Request{Prompt: "x", InspectK: 1000, Columns: ok}, CodeBadRequest, "inspect_k"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Compare(context.Background(), tc.req, nil)
			if codeOf(err) != tc.code || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v (code %q), want code %s mentioning %q", err, codeOf(err), tc.code, tc.says)
			}
		})
	}
	// Nothing was recorded, and the lab still works.
	if runs, _ := st.ListRuns(store.Query{}); len(runs) != 0 {
		t.Errorf("%d runs recorded for refused requests", len(runs))
	}
	if _, err := l.Compare(context.Background(), Request{Prompt: "x", Columns: ok}, nil); err != nil {
		t.Errorf("after the refusals: %v", err)
	}
}

func TestNoModel(t *testing.T) {
	l := New(Options{})
	_, err := l.Compare(context.Background(), Request{Prompt: "x", Columns: fiveRegimes(2)}, nil)
	if codeOf(err) != CodeNoModel {
		t.Errorf("compare without a model: %v", err)
	}
	err = l.Load(context.Background(), "/nonexistent/model/dir")
	if err == nil || l.Status().State != StateError {
		t.Errorf("load of a missing dir: %v, state %s", err, l.Status().State)
	}
	err = l.Load(context.Background(), DemoRef)
	if codeOf(err) != CodeNoModel {
		t.Errorf("demo without a demo model: %v", err)
	}
}

func TestCancelColumnAndWhole(t *testing.T) {
	l, st := newLab(t, testModel(t))
	ctx := context.Background()
	res, err := l.Compare(ctx, Request{Prompt: "Hello", Columns: fiveRegimes(12)[:3]},
		func(ev Event) {
			if ev.Kind == EventToken && ev.Column == 1 {
				l.CancelColumn(1)
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != store.StatusDone || res.Columns[1].StopReason != StopCancelled ||
		len(res.Columns[1].Tokens) != 1 || len(res.Columns[0].Tokens) != 12 {
		t.Errorf("cancel one column: status %s, column 1 %s with %d tokens, column 0 %d tokens",
			res.Status, res.Columns[1].StopReason, len(res.Columns[1].Tokens), len(res.Columns[0].Tokens))
	}
	run, _ := st.GetRun(res.RunID)
	if run.Columns[1].Status != store.StatusCancelled || run.Columns[0].Status != store.StatusDone {
		t.Errorf("recorded statuses %s %s", run.Columns[0].Status, run.Columns[1].Status)
	}

	cctx, cancel := context.WithCancel(ctx)
	n := 0
	res, err = l.Compare(cctx, Request{Prompt: "Hello", Columns: fiveRegimes(50)[:2]}, func(ev Event) {
		if ev.Kind == EventToken {
			if n++; n == 5 {
				cancel()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	run, _ = st.GetRun(res.RunID)
	if res.Status != store.StatusCancelled || run.Status != store.StatusCancelled {
		t.Errorf("whole cancel: result %s, record %s", res.Status, run.Status)
	}
	for _, c := range res.Columns {
		if c.StopReason != StopCancelled || len(c.Tokens) > 4 {
			t.Errorf("column %d: %s after %d tokens", c.Index, c.StopReason, len(c.Tokens))
		}
	}
}

func TestSecondComparisonIsRefused(t *testing.T) {
	l, _ := newLab(t, testModel(t))
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		var once sync.Once
		_, err := l.Compare(context.Background(), Request{Prompt: "Hi", Columns: fiveRegimes(3)[:1]},
			func(ev Event) {
				if ev.Kind == EventToken {
					once.Do(func() { close(started); <-release })
				}
			})
		done <- err
	}()
	<-started
	_, err := l.Compare(context.Background(), Request{Prompt: "Hi", Columns: fiveRegimes(3)[:1]}, nil)
	if codeOf(err) != CodeBusy {
		t.Errorf("second comparison: %v, want %s", err, CodeBusy)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentCompareCancelSwitch runs comparisons, cancels and model switches from
// several goroutines at once; run it with -race. Every call must either succeed or be
// refused with a state error, and no run may be left running.
func TestConcurrentCompareCancelSwitch(t *testing.T) {
	dirA, dirB := testModel(t), copyModel(t)
	l, st := newLab(t, dirA)
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Second)
	if testing.Short() {
		deadline = time.Now().Add(500 * time.Millisecond)
	}
	var compares, refused atomic.Int64
	var wg sync.WaitGroup
	fail := make(chan error, 16)

	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				_, err := l.Compare(ctx, Request{Prompt: "Tick tock", Columns: fiveRegimes(8)[:1+g]}, nil)
				switch code := codeOf(err); {
				case err == nil:
					compares.Add(1)
				case code == CodeBusy || code == CodeNoModel:
					refused.Add(1)
				default:
					fail <- err
					return
				}
			}
		}(g)
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(deadline); i++ {
			if i%2 == 0 {
				l.Cancel()
			} else {
				l.CancelColumn(i % 3)
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(deadline); i++ {
			dir := dirA
			if i%2 == 1 {
				dir = dirB
			}
			if err := l.Load(ctx, dir); err != nil && codeOf(err) != CodeBusy {
				fail <- err
				return
			}
			_ = l.Status()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(fail)
	for err := range fail {
		t.Error(err)
	}
	if compares.Load() == 0 {
		t.Error("no comparison completed")
	}
	running, err := st.ListRuns(store.Query{Status: store.StatusRunning, Limit: 1000})
	if err != nil || len(running) != 0 {
		t.Errorf("%d runs left running (%v)", len(running), err)
	}
	t.Logf("%d comparisons, %d refused", compares.Load(), refused.Load())
}
