//go:build !darwin

package main

// hasAppMenu is false: Linux windows get no menu bar; the tray has the same items.
const hasAppMenu = false

// setMenuBarOnly does nothing outside macOS, where there is no Dock icon to hide.
func setMenuBarOnly(on bool) {}
