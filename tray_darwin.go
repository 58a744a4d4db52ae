package main

import "fyne.io/systray"

// trayStartsInMain is true: the status item must be created on the main thread
// before the application's run loop starts, so main starts it before wails.Run.
const trayStartsInMain = true

// hasAppMenu is true: the macOS menu bar carries About, Edit and Window.
const hasAppMenu = true

// trayAvailable is always nil: every macOS session has a menu bar.
func trayAvailable() error {
	return nil
}

// trayHostPresent is always true on macOS.
func trayHostPresent() bool {
	return true
}

// setTrayIcon uses the icon as a template, so that macOS tints it for light and dark
// menu bars.
func setTrayIcon(png []byte) {
	systray.SetTemplateIcon(png, png)
}
