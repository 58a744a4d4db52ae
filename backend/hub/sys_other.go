//go:build !unix

package hub

import (
	"context"
	"errors"
)

// lockFile is a no-op where flock is unavailable; concurrent pulls of one blob by two
// processes are then not serialized.
func lockFile(ctx context.Context, path string) (func(), error) { return func() {}, nil }

// diskFree is unknown on this platform; the space check is skipped.
func diskFree(path string) (int64, error) { return 0, errors.ErrUnsupported }
