//go:build !bridge

// Knobs is a desktop app that runs a small language model locally and shows what the
// sampling knobs (temperature, top_p, top_k, min_p, repetition_penalty, seed) do to
// its output, side by side.
//
// This package is the desktop shell: the Wails window, the tray or menu-bar icon and
// the wiring between them and the backend. The desktop build needs the build tags
// desktop,production (and webkit2_41 on Linux); see the Makefile. With the tag bridge
// the same App is served over HTTP to a browser instead (bridge_http.go), for tests.
package main

import (
	_ "embed"
	"fmt"
	"log/slog"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"

	"github.com/knobs-app/knobs/backend/apperr"
	"github.com/knobs-app/knobs/backend/applog"
)

//go:embed build/appicon.png
var appIcon []byte

// uniqueID names the single-instance lock; a second launch shows the first window.
const uniqueID = "app.knobs.desktop"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "knobs:", apperr.Message(err))
		os.Exit(1)
	}
}

func run() error {
	logger, closeLog := openLog()
	defer closeLog()

	app := NewApp(logger, version)
	if generatingBindings {
		// Only the bound methods matter here: the bindings build writes
		// frontend/wailsjs and exits without opening a window.
		return wails.Run(&options.App{Bind: app.bindings()})
	}

	// macOS wants the status item created on the main thread before the
	// application's run loop starts; Linux starts the tray from OnStartup.
	app.tray = newTray(app)
	if trayStartsInMain {
		app.tray.start()
	}

	logger.Info("starting", "version", version)
	return wails.Run(appOptions(app))
}

// openLog opens the log file, falling back to stderr when the state directory is not
// writable: the app should start even then.
func openLog() (logger *slog.Logger, closeLog func()) {
	logger, f, err := applog.Open()
	if err != nil {
		logger = applog.New(os.Stderr, applog.DefaultLevel)
		logger.Warn("logging to stderr", "err", err, "path", applog.Path())
		slog.SetDefault(logger)
		return logger, func() {}
	}
	slog.SetDefault(logger)
	return logger, func() { f.Close() }
}

func appOptions(app *App) *options.App {
	return &options.App{
		Title:            "Knobs",
		Width:            mainWidth,
		Height:           mainHeight,
		MinWidth:         mainMinWidth,
		MinHeight:        mainMinHeight,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 246, G: 245, B: 241, A: 255},
		OnStartup:        app.startup,
		OnShutdown:       app.shutdown,
		OnBeforeClose:    app.beforeClose,
		Bind:             app.bindings(),
		ErrorFormatter:   apperr.ErrorFormatter,
		Menu:             appMenu(),
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               uniqueID,
			OnSecondInstanceLaunch: app.secondInstance,
		},
		Linux: &linux.Options{
			Icon:        appIcon,
			ProgramName: "knobs",
			// WORKAROUND: WebKitGTK's GPU path leaves the window blank on some drivers
			// (wails issue 2977), so Wails uses Never when options.Linux is nil; setting
			// options.Linux would otherwise mean Always. The UI needs no GPU.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
		Mac: &mac.Options{
			About: &mac.AboutInfo{
				Title:   "Knobs " + version,
				Message: aboutText,
				Icon:    appIcon,
			},
		},
	}
}

// appMenu is the application menu. On macOS it holds the About item (through
// menu.AppMenu), Edit (so that copy and paste work in the prompt) and Window. Linux
// windows get no menu bar: the tray carries the same items.
func appMenu() *menu.Menu {
	if !hasAppMenu {
		return nil
	}
	return menu.NewMenuFromItems(menu.AppMenu(), menu.EditMenu(), menu.WindowMenu())
}
