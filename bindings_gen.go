//go:build bindings

package main

// generatingBindings is true in the build that writes frontend/wailsjs
// ("go build -tags bindings", run by the Makefile): main registers the bound structs
// and exits without a window or a tray.
const generatingBindings = true
