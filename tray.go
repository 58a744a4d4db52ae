package main

import (
	_ "embed"
	"sync"

	"fyne.io/systray"
)

//go:embed build/trayicon.png
var trayIcon []byte

// The tray menu's labels. Tests find the items by these.
const (
	trayOpen         = "Open Knobs"
	trayQuickCompare = "Quick compare"
	trayAbout        = "About"
	trayQuit         = "Quit"
)

// tray is the tray icon on Linux (a StatusNotifierItem over DBus) and the menu-bar
// icon on macOS, running beside the Wails window through fyne.io/systray.
type tray struct {
	app *App

	mu      sync.Mutex
	started bool   // start succeeded; end must be called once at stop
	end     func() // from systray.RunWithExternalLoop
}

func newTray(app *App) *tray {
	return &tray{app: app}
}

// start registers the icon and its menu. Where the platform has nowhere to show it
// (no session bus on Linux) it logs why and the app runs without a tray.
func (t *tray) start() {
	if err := trayAvailable(); err != nil {
		t.app.logger.Warn("running without a tray", "err", err)
		return
	}
	begin, end := systray.RunWithExternalLoop(t.onReady, nil)
	begin()

	t.mu.Lock()
	t.started, t.end = true, end
	t.mu.Unlock()
}

// stop removes the icon. It does nothing if start did not succeed, since systray's
// end crashes without a session bus.
func (t *tray) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started {
		return
	}
	t.started = false
	t.end()
}

// running reports whether the tray was started and not yet stopped.
func (t *tray) running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started
}

// visible reports whether a person can see the icon and bring the window back from
// it, which is when closing the window may just hide it.
func (t *tray) visible() bool {
	return t.running() && trayHostPresent()
}

// onReady builds the menu and serves its clicks until the tray ends.
func (t *tray) onReady() {
	setTrayIcon(trayIcon)
	systray.SetTooltip("Knobs")

	open := systray.AddMenuItem(trayOpen, "Show the Knobs window")
	quick := systray.AddMenuItem(trayQuickCompare, "Compare sampling regimes on one prompt")
	systray.AddSeparator()
	about := systray.AddMenuItem(trayAbout, "About Knobs")
	quit := systray.AddMenuItem(trayQuit, "Quit Knobs")

	go func() {
		for {
			select {
			case <-open.ClickedCh:
				t.app.showWindow()
			case <-quick.ClickedCh:
				t.app.quickCompare()
			case <-about.ClickedCh:
				t.app.showAbout()
			case <-quit.ClickedCh:
				t.app.logger.Info("quitting from the tray")
				t.app.quit()
				return
			}
		}
	}()
}
