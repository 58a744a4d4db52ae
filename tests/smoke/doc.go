// Package smoke holds the desktop smoke test; it builds only with the smoke tag (see
// smoke_test.go and "make smoke").
package smoke
