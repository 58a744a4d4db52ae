// Package lab is the service the desktop app and the CLI both drive: it owns the
// resident model (load, switch, unload, with progress and a state), runs comparisons
// (one prompt, up to eight regimes, prefilled once and decoded as one batch), records
// every run in the store and replays recorded runs token for token.
//
// Concurrency: one comparison runs at a time. A second Compare while one runs is
// refused with an Error of code CodeBusy (the caller decides whether to cancel the
// first or wait); it never interleaves with the first. Loading another model cancels
// the running comparison, waits for it to end, then switches.
package lab

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/knobs-app/knobs/backend/hub"
	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/store"
	"github.com/knobs-app/knobs/backend/tokenizer"
)

// State is where the resident model stands.
type State string

// The model states.
const (
	StateEmpty   State = "empty"   // no model loaded
	StateLoading State = "loading" // resolving, downloading, hashing or reading weights
	StateReady   State = "ready"   // comparisons can run
	StateError   State = "error"   // the last load failed and no model is resident
)

// DemoRef names the built-in demo model in Load.
const DemoRef = "demo"

// Status describes the resident model, for the UI's model picker.
type Status struct {
	State State `json:"state"`
	// Ref is what the last Load asked for.
	Ref      string              `json:"ref,omitempty"`
	Identity store.ModelIdentity `json:"identity"`
	// Error is the last load's failure; with State ready it means a switch failed and
	// the previous model stayed.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	// Phase, Done and Total report a load's progress: "downloading" counts bytes of the
	// pull, "hashing" bytes hashed, "loading" the weights being mapped.
	Phase         string `json:"phase,omitempty"`
	Done          int64  `json:"done,omitempty"`
	Total         int64  `json:"total,omitempty"`
	VocabSize     int    `json:"vocab_size,omitempty"`
	ContextLength int    `json:"context_length,omitempty"`
}

// Options configure a Lab.
type Options struct {
	// Store records runs; nil runs without recording (and without replay).
	Store *store.Store
	// Hub resolves and pulls model references; nil uses hub.NewClient(OptionsFromEnv()).
	Hub *hub.Client
	// AppVersion is written into every run record.
	AppVersion string
	// Demo returns the directory of the built-in demo model. backend/demomodel provides
	// it; nil means there is no demo model and Load("") fails when no model is on disk.
	Demo func(ctx context.Context) (string, error)
	// OnStatus, if set, is called after every change of Status (from the goroutine that
	// made it; it must return quickly).
	OnStatus func(Status)
	// ContextLength caps the model's context; 0 keeps the engine's default.
	ContextLength int
}

// resident is a loaded model with its tokenizer.
type resident struct {
	engine model.Engine
	tok    *tokenizer.Tokenizer
	id     store.ModelIdentity
}

// Lab owns the resident model and runs comparisons on it. It is safe for concurrent
// use.
type Lab struct {
	opts Options
	hub  *hub.Client

	mu      sync.Mutex
	status  Status
	model   *resident
	active  *comparison // the running comparison, or nil
	loading bool
}

// New returns a lab with no model loaded.
func New(opts Options) *Lab {
	l := &Lab{opts: opts, hub: opts.Hub, status: Status{State: StateEmpty}}
	if l.hub == nil {
		l.hub = hub.NewClient(hub.OptionsFromEnv())
	}
	return l
}

// Store returns the store the lab records into (nil when it records nothing).
func (l *Lab) Store() *store.Store { return l.opts.Store }

// Status returns the resident model's state.
func (l *Lab) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// setStatus changes the status under the lock and reports it after unlocking.
func (l *Lab) setStatus(change func(s *Status)) {
	l.mu.Lock()
	change(&l.status)
	s := l.status
	l.mu.Unlock()
	if l.opts.OnStatus != nil {
		l.opts.OnStatus(s)
	}
}

// Load makes ref the resident model: a local directory, a hub repo id (pulled when it
// is not on disk), DemoRef, or "" for the default model if it is on disk and the demo
// model otherwise. A running comparison is cancelled first. When the load fails the
// previous model, if any, stays resident.
func (l *Lab) Load(ctx context.Context, ref string) error {
	return l.load(ctx, ref, func() (store.ModelIdentity, error) { return l.resolve(ctx, ref) })
}

// LoadLocal makes a model already resolved by the hub (a cached snapshot or a local
// directory) the resident model; the CLI resolves and pulls with its own progress bar.
func (l *Lab) LoadLocal(ctx context.Context, local hub.Local) error {
	id := store.ModelIdentity{Ref: local.Repo, Revision: local.Revision, Path: local.Path}
	return l.load(ctx, local.Name(), func() (store.ModelIdentity, error) { return id, nil })
}

// resolver finds the model a load asks for.
type resolver func() (store.ModelIdentity, error)

// load replaces the resident model by the one resolve names.
func (l *Lab) load(ctx context.Context, ref string, resolve resolver) error {
	l.mu.Lock()
	if l.loading {
		l.mu.Unlock()
		return labError(CodeBusy, "a model is already loading; wait for it or cancel it")
	}
	l.loading = true
	active := l.active
	l.status.State, l.status.Ref = StateLoading, ref
	l.status.Error, l.status.ErrorCode, l.status.Phase = "", "", "resolving"
	l.status.Done, l.status.Total = 0, 0
	s := l.status
	l.mu.Unlock()
	if l.opts.OnStatus != nil {
		l.opts.OnStatus(s)
	}

	// No comparison can start while loading; end the one that runs.
	if active != nil {
		active.cancel()
		<-active.done
	}

	res, err := l.open(ctx, resolve)

	l.mu.Lock()
	l.loading = false
	old := l.model
	if err == nil {
		l.model = res
		l.status = Status{State: StateReady, Ref: ref, Identity: res.id,
			VocabSize: res.engine.VocabSize(), ContextLength: res.engine.ContextLength()}
	} else {
		l.status.Phase, l.status.Done, l.status.Total = "", 0, 0
		l.status.Error, l.status.ErrorCode = err.Error(), errorCode(err)
		l.status.State = StateError
		if old != nil {
			l.status.State, l.status.Ref = StateReady, refOf(old.id)
		}
	}
	s = l.status
	l.mu.Unlock()
	if l.opts.OnStatus != nil {
		l.opts.OnStatus(s)
	}
	if err != nil {
		return err
	}
	if old != nil {
		old.engine.Close()
	}
	return nil
}

func refOf(id store.ModelIdentity) string {
	if id.Ref != "" && id.Ref != DemoRef {
		return id.Ref
	}
	if id.Ref == DemoRef {
		return DemoRef
	}
	return id.Path
}

// errorCode returns the ErrorCode of the first coded error in err's chain.
func errorCode(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return ""
}

// open resolves the model to a directory, hashes its files and loads it.
func (l *Lab) open(ctx context.Context, resolve resolver) (*resident, error) {
	id, err := resolve()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.setStatus(func(s *Status) { s.Phase = "hashing" })
	if id.Hash, err = HashModel(id.Path); err != nil {
		return nil, err
	}
	l.setStatus(func(s *Status) { s.Phase = "loading" })
	return loadDir(id, l.opts.ContextLength)
}

// loadDir loads the model and tokenizer in id.Path.
func loadDir(id store.ModelIdentity, ctxLen int) (*resident, error) {
	engine, err := model.LoadWithOptions(id.Path, model.Options{ContextLength: ctxLen})
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.LoadDir(id.Path)
	if err != nil {
		engine.Close()
		return nil, err
	}
	if tok.VocabSize() > engine.VocabSize() {
		engine.Close()
		return nil, fmt.Errorf("load %s: the tokenizer has %d tokens but the model only %d",
			id.Path, tok.VocabSize(), engine.VocabSize())
	}
	return &resident{engine: engine, tok: tok, id: id}, nil
}

// resolve turns a reference into a model identity with a local path.
func (l *Lab) resolve(ctx context.Context, ref string) (store.ModelIdentity, error) {
	if ref == "" {
		local, err := l.hub.Resolve(ctx, hub.DefaultModel)
		if err == nil && local.Complete {
			return store.ModelIdentity{Ref: local.Repo, Revision: local.Revision,
				Path: local.Path}, nil
		}
		ref = DemoRef
	}
	if ref == DemoRef {
		if l.opts.Demo == nil {
			return store.ModelIdentity{}, labError(CodeNoModel, "no model is available: the "+
				"default model %s is not downloaded and this build has no demo model; "+
				"run \"knobs pull %s\" or pass a model directory", hub.DefaultModel,
				hub.DefaultModel)
		}
		dir, err := l.opts.Demo(ctx)
		if err != nil {
			return store.ModelIdentity{}, fmt.Errorf("open the demo model: %w", err)
		}
		return store.ModelIdentity{Ref: DemoRef, Path: dir}, nil
	}
	local, err := l.hub.Ensure(ctx, ref, func(p hub.Progress) {
		l.setStatus(func(s *Status) {
			s.Phase, s.Done, s.Total = string(p.Phase), p.Done, p.Total
		})
	})
	if err != nil {
		return store.ModelIdentity{}, err
	}
	return store.ModelIdentity{Ref: local.Repo, Revision: local.Revision, Path: local.Path}, nil
}

// Unload cancels the running comparison and releases the resident model.
func (l *Lab) Unload() error {
	l.mu.Lock()
	if l.loading {
		l.mu.Unlock()
		return labError(CodeBusy, "a model is loading; wait for it before unloading")
	}
	active, old := l.active, l.model
	l.model = nil
	l.status = Status{State: StateEmpty}
	s := l.status
	l.mu.Unlock()
	if active != nil {
		active.cancel()
		<-active.done
	}
	if l.opts.OnStatus != nil {
		l.opts.OnStatus(s)
	}
	if old != nil {
		return old.engine.Close()
	}
	return nil
}

// Close unloads the model. The store is the caller's to close.
func (l *Lab) Close() error { return l.Unload() }
