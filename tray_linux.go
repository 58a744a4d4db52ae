package main

import (
	"fmt"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"
)

// trayStartsInMain is false: on Linux the tray speaks DBus from any goroutine and
// starts from OnStartup.
const trayStartsInMain = false

// watcherName is the bus name of the desktop's StatusNotifierWatcher (the tray host).
const watcherName = "org.kde.StatusNotifierWatcher"

// trayAvailable checks for a session bus. Without one, systray cannot register and
// its end function crashes, so the tray is not started at all.
func trayAvailable() error {
	if _, err := dbus.SessionBus(); err != nil {
		return fmt.Errorf("no DBus session bus: %w", err)
	}
	return nil
}

// trayHostPresent reports whether a StatusNotifierWatcher owns its name on the
// session bus. Desktops without one (plain GNOME, Xvfb) show no tray icon.
func trayHostPresent() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
	return err == nil && has
}

func setTrayIcon(png []byte) {
	systray.SetIcon(png)
}
