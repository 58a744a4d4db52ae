package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/knobs-app/knobs/backend/lab"
	"github.com/knobs-app/knobs/backend/store"
)

// EnvReadyFile names the environment variable holding a file to which Ready appends the
// title the frontend reports. The smoke test waits on it instead of sleeping.
const EnvReadyFile = "KNOBS_READY_FILE"

// EnvMenuBarOnly set to 1 hides the Dock icon on macOS and 0 shows it, whatever the
// saved "menu-bar only" setting says.
const EnvMenuBarOnly = "KNOBS_MENUBAR_ONLY"

// EnvModel names a model (anything LoadModel accepts) to load as soon as the app starts;
// the smoke and end-to-end tests point it at a generated tiny model.
const EnvModel = "KNOBS_MODEL"

// EnvSmokeRun set to 1 makes the app ask the frontend for one "Run all" (EventRunAll)
// once the frontend is ready and the model of KNOBS_MODEL has loaded. Only tests set it.
const EnvSmokeRun = "KNOBS_SMOKE_RUN"

// Runtime events of the app shell; the frontend's services listen to them.
const (
	// EventNavigate carries a route such as "#/quick" that the window must show.
	EventNavigate = "app:navigate"
	// EventRunAll asks the frontend to run all its columns as the Run all button does.
	EventRunAll = "app:run-all"
)

// RouteQuick is the frontend route of the compact quick-compare view.
const RouteQuick = "#/quick"

// App is the Go side of the window: a thin adapter whose exported methods are bound
// to the frontend (see frontend/wailsjs/go/main/App.d.ts). It owns no product logic;
// each method hands over to a backend service and returns plain data or a coded error,
// which apperr formats for the UI.
type App struct {
	ctx     context.Context // Wails runtime context, set in startup
	logger  *slog.Logger
	version string

	tray     *tray       // nil when the tray is not started (bindings build)
	quitting atomic.Bool // set once a real quit begins, so beforeClose lets it through

	// emit sends a runtime event to the frontend: runtime.EventsEmit in the window,
	// the server-sent event hub in the HTTP bridge (bridge_http.go). Nil until either
	// has started; events sent before are dropped.
	emit func(name string, data ...any)

	ready       chan struct{} // closed by the first Ready
	readyOnce   sync.Once
	modelLoaded chan struct{} // closed when the model of KNOBS_MODEL has loaded

	launchOnce sync.Once
	launch     store.Settings // the settings file as read once at launch

	// Backend services. Each capability adds its field here and constructs it in
	// NewApp; its bound methods live in a file of their own (the lab's in app_lab.go).
	lab *labService
}

// Status is what the status bar shows about the backend.
type Status struct {
	Version     string `json:"version"`
	Model       string `json:"model"` // reference of the resident model, "" when none
	ModelLoaded bool   `json:"modelLoaded"`
	Tray        bool   `json:"tray"` // whether a tray or menu-bar icon is running
}

// NewApp returns the adapter with its backend services constructed.
func NewApp(logger *slog.Logger, version string) *App {
	a := &App{logger: logger, version: version,
		ready: make(chan struct{}), modelLoaded: make(chan struct{})}

	// Construct backend services here; release them in shutdown.
	a.lab = newLabService(a)

	return a
}

// bindings lists the structs whose exported methods the frontend may call.
func (a *App) bindings() []any {
	return []any{a}
}

// Ready is called once by the frontend after it has mounted, with the document's
// title. It is the app's readiness signal: the title is logged and, when
// KNOBS_READY_FILE is set, appended to that file as one line.
func (a *App) Ready(title string) error {
	a.logger.Info("frontend ready", "title", title)
	a.readyOnce.Do(func() { close(a.ready) })
	path := os.Getenv(EnvReadyFile)
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	_, err = fmt.Fprintln(f, title)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	return nil
}

// UIReport is called by the frontend to tell a test what it shows: name is what was
// reported (for example "run-all-done"), detail its text. It is logged and, like Ready,
// appended to KNOBS_READY_FILE as one line "name: detail" (newlines become spaces).
func (a *App) UIReport(name, detail string) error {
	a.logger.Info("frontend report", "name", name, "bytes", len(detail))
	path := os.Getenv(EnvReadyFile)
	if path == "" {
		return nil
	}
	line := name + ": " + strings.Join(strings.Fields(detail), " ")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write ready file: %w", err)
	}
	return nil
}

// Status reports the backend's state for the status bar.
func (a *App) Status() Status {
	s := Status{
		Version: a.version,
		Tray:    a.tray != nil && a.tray.running(),
	}
	if ls, err := a.LabStatus(); err == nil && ls.State == lab.StateReady {
		s.Model, s.ModelLoaded = ls.Ref, true
		if s.Model == "" {
			s.Model = ls.Identity.Ref
		}
	}
	return s
}

// sendEvent emits a runtime event to the frontend, if there is one to send to yet.
func (a *App) sendEvent(name string, data ...any) {
	a.logEnd(data)
	if a.emit != nil {
		a.emit(name, data...)
	}
}

// logEnd logs the end of a comparison, which the smoke test waits for.
func (a *App) logEnd(data []any) {
	if len(data) != 1 {
		return
	}
	if ev, ok := data[0].(lab.Event); ok && ev.Kind == lab.EventEnd {
		a.logger.Info("comparison finished", "run", ev.RunID, "status", string(ev.Status))
	}
}

// startup runs when the window exists, before the frontend loads.
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	a.emit = func(name string, data ...any) { runtime.EventsEmit(ctx, name, data...) }
	setMenuBarOnly(menuBarOnly(a.launchSettings()))
	if a.tray != nil && !trayStartsInMain {
		a.tray.start()
	}
	a.quitOnSignal()
	a.startServices()
}

// startServices starts what the launch asks for: loading the start-up model and, with
// KNOBS_SMOKE_RUN, one Run all once the frontend is ready. The window and the HTTP
// bridge both call it once their emitter is set.
func (a *App) startServices() {
	ref := startupModel(a.launchSettings())
	go func() {
		if err := a.LoadModel(ref); err != nil {
			a.logger.Error("load the start-up model", "err", err, "model", ref)
			return
		}
		a.logger.Info("model loaded", "model", ref)
		close(a.modelLoaded)
	}()
	if os.Getenv(EnvSmokeRun) != "1" {
		return
	}
	go func() {
		<-a.ready
		<-a.modelLoaded
		a.logger.Info("asking the frontend to run all columns")
		a.sendEvent(EventRunAll)
	}()
}

// launchSettings returns the settings file as it was at launch, read on the first call
// only, for the decisions taken then (menu-bar only, the start-up model). A file that
// cannot be read gives the defaults and a log line; a damaged one is set aside by
// store.LoadSettings and its notice kept for LabNotices, as LoadSettings does later.
func (a *App) launchSettings() store.Settings {
	a.launchOnce.Do(func() {
		path := store.DefaultPaths().SettingsPath()
		s, notice, err := store.LoadSettings(path)
		if err != nil {
			a.logger.Warn("read the settings at launch", "err", err, "path", path)
		}
		if notice != "" {
			a.lab.settings.Lock()
			a.lab.notices = append(a.lab.notices, notice)
			a.lab.settings.Unlock()
			a.logger.Warn("settings file set aside", "path", path)
		}
		a.launch = s
	})
	return a.launch
}

// startupModel is the model the app loads at launch: KNOBS_MODEL when set, else the
// default model of s, else "" (the lab's choice: the default model when it is
// downloaded, else the built-in demo model, so a machine without network works).
func startupModel(s store.Settings) string {
	if ref := os.Getenv(EnvModel); ref != "" {
		return ref
	}
	return strings.TrimSpace(s.Model)
}

// menuBarOnly reports whether to hide the Dock icon: KNOBS_MENUBAR_ONLY when set,
// otherwise the setting in s.
func menuBarOnly(s store.Settings) bool {
	switch os.Getenv(EnvMenuBarOnly) {
	case "1":
		return true
	case "0":
		return false
	}
	return s.MenuBarOnly
}

// quitOnSignal turns SIGINT and SIGTERM into an orderly quit, so that shutdown runs
// and the process exits with status 0. Wails listens for them too, but its quit goes
// through beforeClose without the quitting flag and would only hide the window while
// a tray is visible.
func (a *App) quitOnSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-signals
		a.logger.Info("quitting on signal", "signal", sig.String())
		a.quit()
	}()
}

// shutdown runs after the window has closed, before wails.Run returns. Closing the lab
// ends a running comparison properly, so that it is not found interrupted next time.
func (a *App) shutdown(ctx context.Context) {
	if a.tray != nil {
		a.tray.stop()
	}
	a.lab.close()
	a.logger.Info("shut down")
}

// beforeClose keeps the app running in the tray when the window is closed, as long as
// there is a tray to bring it back from. A quit from the tray or a signal goes through.
func (a *App) beforeClose(ctx context.Context) (prevent bool) {
	if a.quitting.Load() || a.tray == nil || !a.tray.visible() {
		return false
	}
	runtime.WindowHide(ctx)
	return true
}

// secondInstance shows this window when Knobs is launched again.
func (a *App) secondInstance(data options.SecondInstanceData) {
	a.logger.Info("second instance launched", "args", data.Args)
	a.showWindow()
}

// showWindow brings the main window to the front.
func (a *App) showWindow() {
	runtime.WindowShow(a.ctx)
	runtime.WindowUnminimise(a.ctx)
}

// quickCompare shows the window at the compact quick-compare route; the frontend then
// asks for the compact size through SetCompact.
func (a *App) quickCompare() {
	a.sendEvent(EventNavigate, RouteQuick)
	a.showWindow()
}

// Window sizes in screen points: the main window, and the compact quick-compare window
// (a prompt, the favourite presets and their results side by side).
const (
	mainWidth, mainHeight       = 1180, 760
	mainMinWidth, mainMinHeight = 720, 480
	quickWidth, quickHeight     = 560, 680
	quickMinWidth               = 420
)

// SetCompact sizes the window for the quick-compare view (compact) or for the main
// window, and centres it on its screen: resized in place, the compact window would
// sit in the top-left corner of the space the main window had. The frontend calls it
// when it moves into or out of the quick-compare route. Without a window (the HTTP
// bridge) it does nothing.
//
// Order matters on Linux, where Wails queues a new minimum size for the GTK main
// loop but resizes at once: shrinking below the old minimum must wait until the new
// one is in place, or GTK clamps the compact window to the main window's minimum.
// Listing the screens runs on the main loop and waits for it, after the queued
// minimum, so it serves as the barrier.
func (a *App) SetCompact(compact bool) {
	if a.ctx == nil {
		return
	}
	width, height := mainWidth, mainHeight
	if compact {
		width, height = quickWidth, quickHeight
		runtime.WindowSetMinSize(a.ctx, quickMinWidth, mainMinHeight)
	}
	screens, err := runtime.ScreenGetAll(a.ctx)
	runtime.WindowSetSize(a.ctx, width, height)
	if !compact {
		runtime.WindowSetMinSize(a.ctx, mainMinWidth, mainMinHeight)
	}
	if err == nil {
		for _, s := range screens {
			if s.IsCurrent && s.Size.Width > 0 {
				runtime.WindowSetPosition(a.ctx, max((s.Size.Width-width)/2, 0),
					max((s.Size.Height-height)/2, 0))
				return
			}
		}
	}
	runtime.WindowCenter(a.ctx)
}

// showAbout shows the About box. It returns at once; the dialog is modal.
func (a *App) showAbout() {
	go func() {
		_, err := runtime.MessageDialog(a.ctx, runtime.MessageDialogOptions{
			Type:    runtime.InfoDialog,
			Title:   "About Knobs",
			Message: "Knobs " + a.version + "\n\n" + aboutText,
		})
		if err != nil {
			a.logger.Warn("about dialog", "err", err)
		}
	}()
}

// quit ends the app: the window closes, shutdown runs and wails.Run returns.
func (a *App) quit() {
	a.quitting.Store(true)
	runtime.Quit(a.ctx)
}
