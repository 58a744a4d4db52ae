package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/knobs-app/knobs/backend/demomodel"
	"github.com/knobs-app/knobs/backend/hub"
	"github.com/knobs-app/knobs/backend/lab"
	"github.com/knobs-app/knobs/backend/store"
)

// Runtime events of the lab. The frontend subscribes to them in src/lib/services.
const (
	// EventLabStatus carries a lab.Status whenever the resident model's state changes
	// (loading progress included).
	EventLabStatus = "lab:status"
	// EventLabRun carries a lab.Event for every step of a comparison: start, token,
	// column_end, end.
	EventLabRun = "lab:event"
)

// labService holds the lab, its store and the settings file for the bound methods.
// The database is opened on first use, so constructing the App touches no file.
type labService struct {
	app *App

	once     sync.Once
	openErr  error
	paths    store.Paths
	store    *store.Store
	lab      *lab.Lab
	notices  []string
	settings sync.Mutex // serializes settings writes

	loading    sync.Mutex         // guards cancelLoad
	cancelLoad context.CancelFunc // stops the running LoadModel, nil when none runs
}

func newLabService(a *App) *labService {
	return &labService{app: a}
}

// emit sends a runtime event once the window (or the HTTP bridge) exists.
func (s *labService) emit(name string, data any) { s.app.sendEvent(name, data) }

// emitRun forwards a comparison event to the frontend.
func (s *labService) emitRun(ev lab.Event) { s.emit(EventLabRun, ev) }

// open opens the store and creates the lab, once.
func (s *labService) open() error {
	s.once.Do(func() {
		s.paths = store.DefaultPaths()
		st, err := store.Open(s.paths.DBPath())
		if err != nil {
			s.openErr = err
			s.app.logger.Error("open history database", "err", err, "path", s.paths.DBPath())
			return
		}
		if st.Notice != "" {
			s.notices = append(s.notices, st.Notice)
			s.app.logger.Warn("history database set aside", "path", s.paths.DBPath())
		}
		s.store = st
		s.lab = lab.New(lab.Options{Store: st, AppVersion: s.app.version,
			Demo:     demomodel.DirContext,
			OnStatus: func(status lab.Status) { s.emit(EventLabStatus, status) }})
	})
	return s.openErr
}

// close unloads the model and closes the database.
func (s *labService) close() {
	if s.lab != nil {
		s.lab.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// withStore runs f with the open store.
func withStore[T any](a *App, f func(st *store.Store) (T, error)) (T, error) {
	var zero T
	if err := a.lab.open(); err != nil {
		return zero, err
	}
	return f(a.lab.store)
}

// storeDo runs f with the open store, for calls that return only an error.
func storeDo(a *App, f func(st *store.Store) error) error {
	if err := a.lab.open(); err != nil {
		return err
	}
	return f(a.lab.store)
}

// withLab runs f with the lab.
func withLab[T any](a *App, f func(l *lab.Lab) (T, error)) (T, error) {
	var zero T
	if err := a.lab.open(); err != nil {
		return zero, err
	}
	return f(a.lab.lab)
}

// LabNotices returns the messages about damaged files Knobs set aside at start (the
// history database, the settings file), to show once.
func (a *App) LabNotices() []string {
	a.lab.open()
	return append([]string{}, a.lab.notices...)
}

// LabStatus returns the resident model's state.
func (a *App) LabStatus() (lab.Status, error) {
	return withLab(a, func(l *lab.Lab) (lab.Status, error) { return l.Status(), nil })
}

// LoadModel makes ref (a directory, a hub repo id, "demo", or "" for the default)
// the resident model. Progress arrives as EventLabStatus events.
func (a *App) LoadModel(ref string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.lab.loading.Lock()
	a.lab.cancelLoad = cancel
	a.lab.loading.Unlock()

	_, err := withLab(a, func(l *lab.Lab) (struct{}, error) {
		return struct{}{}, l.Load(ctx, ref)
	})
	return err
}

// CancelLoad stops the running LoadModel (a download, for instance); the previous
// model, if any, stays resident. It does nothing when no load runs.
func (a *App) CancelLoad() {
	a.lab.loading.Lock()
	defer a.lab.loading.Unlock()
	if a.lab.cancelLoad != nil {
		a.lab.cancelLoad()
	}
}

// LocalModels lists the models on disk that LoadModel can open without the network:
// the snapshots in the Hugging Face cache and the configured local directories.
func (a *App) LocalModels() ([]hub.Local, error) {
	models, err := hub.NewClient(hub.OptionsFromEnv()).List()
	if models == nil {
		models = []hub.Local{}
	}
	return models, err
}

// UnloadModel releases the resident model.
func (a *App) UnloadModel() error {
	_, err := withLab(a, func(l *lab.Lab) (struct{}, error) { return struct{}{}, l.Unload() })
	return err
}

// Compare runs a comparison and returns its result; tokens stream as EventLabRun
// events while it runs.
func (a *App) Compare(req lab.Request) (*lab.Result, error) {
	return withLab(a, func(l *lab.Lab) (*lab.Result, error) {
		return l.Compare(context.Background(), req, a.lab.emitRun)
	})
}

// CancelComparison stops the running comparison.
func (a *App) CancelComparison() {
	withLab(a, func(l *lab.Lab) (struct{}, error) { l.Cancel(); return struct{}{}, nil })
}

// CancelColumn stops one column of the running comparison.
func (a *App) CancelColumn(column int) bool {
	ok, _ := withLab(a, func(l *lab.Lab) (bool, error) { return l.CancelColumn(column), nil })
	return ok
}

// Replay regenerates a recorded run and reports whether it matches token for token.
func (a *App) Replay(runID int64) (*lab.ReplayReport, error) {
	return withLab(a, func(l *lab.Lab) (*lab.ReplayReport, error) {
		return l.Replay(context.Background(), runID, a.lab.emitRun)
	})
}

// HistoryQuery selects runs; dates are RFC 3339 strings, empty for no bound.
type HistoryQuery struct {
	Text   string `json:"text"`
	Model  string `json:"model"`
	Preset string `json:"preset"`
	Since  string `json:"since"`
	Until  string `json:"until"`
	Status string `json:"status"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
}

func (q HistoryQuery) storeQuery() (store.Query, error) {
	out := store.Query{Text: q.Text, Model: q.Model, Preset: q.Preset,
		Status: store.Status(q.Status), Limit: q.Limit, Offset: q.Offset}
	for _, b := range []struct {
		s   string
		dst *time.Time
	}{{q.Since, &out.Since}, {q.Until, &out.Until}} {
		if b.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, b.s)
		if err != nil {
			return out, fmt.Errorf("history date %q is not RFC 3339", b.s)
		}
		*b.dst = t
	}
	return out, nil
}

// ListRuns returns the runs matching q, newest first.
func (a *App) ListRuns(q HistoryQuery) ([]store.Run, error) {
	return withStore(a, func(st *store.Store) ([]store.Run, error) {
		sq, err := q.storeQuery()
		if err != nil {
			return nil, err
		}
		runs, err := st.ListRuns(sq)
		if runs == nil {
			runs = []store.Run{}
		}
		return runs, err
	})
}

// GetRun returns a run with its per-token data.
func (a *App) GetRun(id int64) (*store.Run, error) {
	return withStore(a, func(st *store.Store) (*store.Run, error) { return st.GetRun(id) })
}

// DeleteRun deletes a run.
func (a *App) DeleteRun(id int64) error {
	return storeDo(a, func(st *store.Store) error { return st.DeleteRun(id) })
}

// ClearHistory deletes every finished run and returns how many.
func (a *App) ClearHistory() (int64, error) {
	return withStore(a, func(st *store.Store) (int64, error) { return st.ClearRuns() })
}

// Presets returns the presets in display order.
func (a *App) Presets(withHidden bool) ([]store.Preset, error) {
	return withStore(a, func(st *store.Store) ([]store.Preset, error) {
		return st.Presets(withHidden)
	})
}

// SavePreset creates or updates the user preset name.
func (a *App) SavePreset(name, description string, r store.Regime) (store.Preset, error) {
	return withStore(a, func(st *store.Store) (store.Preset, error) {
		return st.SavePreset(name, description, r)
	})
}

// RenamePreset renames a user preset.
func (a *App) RenamePreset(id int64, name string) error {
	return storeDo(a, func(st *store.Store) error { return st.RenamePreset(id, name) })
}

// DuplicatePreset copies a preset into a new user preset ("" picks a name).
func (a *App) DuplicatePreset(id int64, name string) (store.Preset, error) {
	return withStore(a, func(st *store.Store) (store.Preset, error) {
		return st.DuplicatePreset(id, name)
	})
}

// SetPresetFavourite marks or unmarks a favourite.
func (a *App) SetPresetFavourite(id int64, favourite bool) error {
	return storeDo(a, func(st *store.Store) error { return st.SetFavourite(id, favourite) })
}

// SetPresetHidden hides or shows a preset (built-ins can only be hidden, not deleted).
func (a *App) SetPresetHidden(id int64, hidden bool) error {
	return storeDo(a, func(st *store.Store) error { return st.SetHidden(id, hidden) })
}

// ReorderPresets sets the display order.
func (a *App) ReorderPresets(ids []int64) error {
	return storeDo(a, func(st *store.Store) error { return st.ReorderPresets(ids) })
}

// DeletePreset deletes a user preset.
func (a *App) DeletePreset(id int64) error {
	return storeDo(a, func(st *store.Store) error { return st.DeletePreset(id) })
}

// ExportPresets writes the user presets (or the named ones) to a preset file.
func (a *App) ExportPresets(path string, names []string) (int, error) {
	return withStore(a, func(st *store.Store) (int, error) { return st.ExportPresets(path, names) })
}

// ImportPresets adds the presets of a preset file.
func (a *App) ImportPresets(path string) (store.ImportResult, error) {
	return withStore(a, func(st *store.Store) (store.ImportResult, error) {
		return st.ImportPresets(path)
	})
}

// LoadSettings returns the saved settings (the defaults on a first start; a damaged
// file is set aside and reported by LabNotices).
func (a *App) LoadSettings() (store.Settings, error) {
	if err := a.lab.open(); err != nil {
		return store.DefaultSettings(), err
	}
	a.lab.settings.Lock()
	defer a.lab.settings.Unlock()
	s, notice, err := store.LoadSettings(a.lab.paths.SettingsPath())
	if notice != "" {
		a.lab.notices = append(a.lab.notices, notice)
		a.logger.Warn("settings file set aside", "path", a.lab.paths.SettingsPath())
	}
	return s, err
}

// SaveSettings writes the settings.
func (a *App) SaveSettings(s store.Settings) error {
	if err := a.lab.open(); err != nil {
		return err
	}
	a.lab.settings.Lock()
	defer a.lab.settings.Unlock()
	return store.SaveSettings(a.lab.paths.SettingsPath(), s)
}
