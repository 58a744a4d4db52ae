//go:build !linux && !darwin

package main

import "errors"

const trayStartsInMain = false

func trayAvailable() error {
	return errors.New("the tray is implemented for Linux and macOS only")
}

func trayHostPresent() bool {
	return false
}

func setTrayIcon(png []byte) {}
