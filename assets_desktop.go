//go:build desktop || production || dev

package main

import "embed"

// assets is the built frontend. The desktop build needs frontend/dist: run
// "make build" (or "cd frontend && npm run build") first.
//
//go:embed all:frontend/dist
var assets embed.FS
