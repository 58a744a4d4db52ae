package apperr

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBackendImportsNoWails keeps the desktop shell out of every backend package: the
// backend must build and test without GTK, WebKit or the Wails runtime.
func TestBackendImportsNoWails(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over the module")
	}
	const backend = "github.com/knobs-app/knobs/backend/..."
	out, err := exec.Command("go", "list", "-e", "-deps", backend).Output()
	if err != nil {
		t.Fatalf("go list -deps ./backend/...: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "wailsapp") || strings.HasPrefix(pkg, "fyne.io/") {
			t.Errorf("a backend package depends on %s", pkg)
		}
	}
}
