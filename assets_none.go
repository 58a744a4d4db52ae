//go:build !desktop && !production && !dev

package main

import "embed"

// assets is empty outside the desktop build, so that go vet, go test and the bindings
// generator work without a built frontend.
var assets embed.FS
