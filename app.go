package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// EnvReadyFile names the environment variable holding a file to which Ready appends the
// title the frontend reports. The smoke test waits on it instead of sleeping.
const EnvReadyFile = "KNOBS_READY_FILE"

// EnvMenuBarOnly set to 1 hides the Dock icon on macOS.
//
// TODO(#6): read the persisted "menu-bar only" setting once backend/store has one;
// the environment variable stays as an override.
const EnvMenuBarOnly = "KNOBS_MENUBAR_ONLY"

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
	a := &App{logger: logger, version: version}

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

// Status reports the backend's state for the status bar.
func (a *App) Status() Status {
	return Status{
		Version: a.version,
		Tray:    a.tray != nil && a.tray.running(),
	}
}

// startup runs when the window exists, before the frontend loads.
func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	setMenuBarOnly(os.Getenv(EnvMenuBarOnly) == "1")
	if a.tray != nil && !trayStartsInMain {
		a.tray.start()
	}
	a.quitOnSignal()
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

// shutdown runs after the window has closed, before wails.Run returns.
func (a *App) shutdown(ctx context.Context) {
	if a.tray != nil {
		a.tray.stop()
	}
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

// quickCompare opens the comparison view.
//
// TODO(#8): open the compact quick-compare view once it exists; until then it
// is the main window.
func (a *App) quickCompare() {
	a.showWindow()
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
